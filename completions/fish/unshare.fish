complete -c unshare -s m -l mount -d 'new mount namespace' -r -F
complete -c unshare -s u -l uts -d 'new UTS namespace (host and domain name)' -r -F
complete -c unshare -s i -l ipc -d 'new System V IPC and POSIX message queue namespace' -r -F
complete -c unshare -s n -l net -d 'new network namespace' -r -F
complete -c unshare -s p -l pid -d 'new pid namespace (for the forked child)' -r -F
complete -c unshare -s U -l user -d 'new user namespace' -r -F
complete -c unshare -s C -l cgroup -d 'new cgroup namespace' -r -F
complete -c unshare -s T -l time -d 'new time namespace (for the forked child)' -r -F
complete -c unshare -l kill-child -d 'kill the child with <signame> when unshare dies (default SIGKILL; implies --fork)' -r
complete -c unshare -l mount-proc -d 'mount a new proc at <dir> (default /proc) (implies --mount)' -r -f -a "(__fish_complete_directories)"
complete -c unshare -l mount-binfmt -d 'mount binfmt_misc at <dir> (implies --user and --mount)' -r -f -a "(__fish_complete_directories)"
complete -c unshare -l map-user -d 'map the current user to <uid> (implies --user)' -r
complete -c unshare -l map-users -d 'map a range of users; also auto, subids, all (repeatable; implies --user)' -r
complete -c unshare -l map-group -d 'map the current group to <gid> (implies --user)' -r
complete -c unshare -l map-groups -d 'map a range of groups; also auto, subids, all (repeatable; implies --user)' -r
complete -c unshare -l owner -d 'create the user namespace as <uid>:<gid> (implies --user)' -r
complete -c unshare -l propagation -d 'propagation of / in the new mount namespace' -r -f -a "slave\t''
shared\t''
private\t''
unchanged\t''"
complete -c unshare -l setgroups -d 'allow or deny setgroups(2) in the user namespace' -r -f -a "allow\t''
deny\t''"
complete -c unshare -s S -l setuid -d 'set the uid in the new namespaces' -r
complete -c unshare -s G -l setgid -d 'set the gid in the new namespaces' -r
complete -c unshare -s R -l root -d 'run <program> with <dir> as its root directory' -r -f -a "(__fish_complete_directories)"
complete -c unshare -s w -l wd -d 'run <program> in <dir>' -r -f -a "(__fish_complete_directories)"
complete -c unshare -l monotonic -d 'CLOCK_MONOTONIC offset in seconds (needs --time)' -r
complete -c unshare -l boottime -d 'CLOCK_BOOTTIME offset in seconds (needs --time)' -r
complete -c unshare -s l -l load-interp -d 'register a binfmt_misc interpreter (implies --mount-binfmt)' -r
complete -c unshare -l whitelist-env -d 'start <program> with only the variables named in the comma-separated <list> (repeatable)' -r
complete -c unshare -l pid-file -d 'write the pid of the process that runs <program> to <file> once its namespaces exist' -r -F
complete -c unshare -l info-fd -d 'write that pid and the new namespaces\' inodes to descriptor <fd> as JSON, then close it' -r
complete -c unshare -s h -l help -d 'display this help'
complete -c unshare -s V -l version -d 'display version'
complete -c unshare -s f -l fork -d 'run <program> as a child and wait for it'
complete -c unshare -l forward-signals -d 'pass SIGINT and SIGTERM on to the child (implies --fork)'
complete -c unshare -s r -l map-root-user -d 'map the current user and group to root (implies --user)'
complete -c unshare -s c -l map-current-user -d 'map the current user and group to themselves (implies --user)'
complete -c unshare -l map-auto -d 'map the first subordinate id ranges from 0 (implies --user)'
complete -c unshare -l map-subids -d 'map the first subordinate id ranges to themselves (implies --user)'
complete -c unshare -l keep-caps -d 'keep the user namespace\'s capabilities across exec'
complete -c unshare -l clear-env -d 'start <program> with an empty environment'
