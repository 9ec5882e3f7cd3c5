complete -c cgxset -s r -l rule -d 'the setting to write (repeatable)' -r
complete -c cgxset -l copy-from -d 'copy every writable setting of the group at <path>' -r
complete -c cgxset -s 1 -l v1 -d 'the names and values are cgroup v1\'s'
complete -c cgxset -s 2 -l v2 -d 'the names and values are cgroup v2\'s'
complete -c cgxset -s i -l ignore-unmappable -d 'skip settings that have no counterpart in the other version'
complete -c cgxset -s R -l recursive -d 'set the group\'s descendants too'
complete -c cgxset -s b -d 'ignore the default systemd scope'
complete -c cgxset -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgxset -s h -l help -d 'display this help'
