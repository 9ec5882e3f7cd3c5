complete -c cgget -s r -l variable -d 'print this setting (repeatable); v1 and v2 names both work' -r
complete -c cgget -s g -d 'print every setting of these controllers (repeatable)' -r
complete -c cgget -s a -l all -d 'print the settings of every controller'
complete -c cgget -s n -d 'do not print the group names'
complete -c cgget -s v -l values-only -d 'print the values only, without the setting names'
complete -c cgget -s J -l json -d 'use JSON output format'
complete -c cgget -s b -d 'ignore the default systemd scope'
complete -c cgget -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgget -s h -l help -d 'display this help'
complete -c cgget -s m -d 'print the host\'s cgroup mode (legacy, hybrid or unified)'
complete -c cgget -s c -d 'list the mounted controllers with their cgroup versions'
