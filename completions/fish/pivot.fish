complete -c pivot -l put-old -d 'keep the old root at <dir> (under <newroot>) instead of detaching it' -r -f -a "(__fish_complete_directories)"
complete -c pivot -l bind -d 'bind the host\'s <src> at <dst> in the new root (repeatable; :ro read-only; :idmap=MAP shows the owners through MAP, as ovlmount --idmap)' -r
complete -c pivot -l hostname -d 'set the hostname' -r
complete -c pivot -s w -l wd -d 'working directory in the new root (default /)' -r -f -a "(__fish_complete_directories)"
complete -c pivot -l force -d 'also in the initial mount (and UTS) namespace, which changes the whole system'
complete -c pivot -l proc -d 'mount proc at /proc'
complete -c pivot -l sys -d 'mount sysfs at /sys, read-only'
complete -c pivot -l dev -d 'a tmpfs /dev: the host\'s null zero full random urandom tty, pts, shm and the usual links'
complete -c pivot -l tmp -d 'mount a tmpfs at /tmp'
complete -c pivot -l read-only -d 'make the new root read-only'
complete -c pivot -s h -l help -d 'display this help'
complete -c pivot -s V -l version -d 'display version'
