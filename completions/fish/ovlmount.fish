# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_ovlmount_global_optspecs
    string join \n h/help V/version
end

function __fish_ovlmount_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_ovlmount_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_ovlmount_using_subcommand
    set -l cmd (__fish_ovlmount_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c ovlmount -n "__fish_ovlmount_needs_command" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -s V -l version -d 'display version'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -f -a "mount" -d 'Mount an overlay at <merged>.'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -f -a "umount" -d 'Unmount the overlay at <merged>.'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -f -a "list" -d 'List overlay mounts with their layers.'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -f -a "diff" -d 'Show what an upper layer adds, changes and deletes.'
complete -c ovlmount -n "__fish_ovlmount_needs_command" -f -a "import" -d 'Unpack an OCI layer tar (plain, gzip or zstd; - for stdin) into <dir> as an overlay lower layer.'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s l -l lower -d 'a lower layer, top first (repeatable; :idmap=MAP idmaps it)' -r -f -a "(__fish_complete_directories)"
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s u -l upper -d 'the upper (writable) layer (:idmap=MAP idmaps it)' -r -f -a "(__fish_complete_directories)"
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s w -l work -d 'the work directory, on the upper\'s file system' -r -f -a "(__fish_complete_directories)"
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l data-lower -d 'a data-only lower layer (repeatable)' -r -f -a "(__fish_complete_directories)"
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l tmpfs-upper -d 'upper and work on a new tmpfs (of at most <size>) that goes away with the overlay' -r
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l idmap -d 'idmap every lower layer: [u:|g:|b:]inner:outer:count ... (an id that is inner on disk is seen as outer), or a user namespace file' -r -f
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l userns -d 'idmap every lower layer with the maps of this user namespace (/proc/PID/ns/user)' -r -F
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s o -l options -d 'overlay\'s own options (lowerdir=..,upperdir=..,workdir=..,index=on,...)' -r
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l create -d 'make missing upper, work and merged directories (0755, work 0700); refuse a link'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l read-only -d 'mount read-only'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l userxattr -d 'keep overlay\'s xattrs in user.overlay.* (automatic in a user namespace)'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -l volatile -d 'skip syncing the upper layer (lost on a crash)'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand mount" -s V -l version -d 'display version'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand umount" -l lazy -d 'detach now, let go when no longer busy'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand umount" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand umount" -s V -l version -d 'display version'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand list" -s J -l json -d 'print JSON'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand list" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand list" -s V -l version -d 'display version'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand diff" -s l -l lower -d 'a lower layer of <upper>, top first (repeatable)' -r -f -a "(__fish_complete_directories)"
complete -c ovlmount -n "__fish_ovlmount_using_subcommand diff" -s J -l json -d 'print JSON'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand diff" -l oci -d 'write the changes as an OCI layer tar to stdout'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand diff" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand diff" -s V -l version -d 'display version'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand import" -s h -l help -d 'display this help'
complete -c ovlmount -n "__fish_ovlmount_using_subcommand import" -s V -l version -d 'display version'
