complete -c cgxget -s r -l variable -d 'print this setting (repeatable); v1 and v2 names both work' -r
complete -c cgxget -s g -d 'print every setting of these controllers (repeatable)' -r
complete -c cgxget -s 1 -l v1 -d 'names and values are cgroup v1\'s'
complete -c cgxget -s 2 -l v2 -d 'names and values are cgroup v2\'s'
complete -c cgxget -s i -l ignore-unmappable -d 'skip settings with no counterpart in the other version'
complete -c cgxget -s a -l all -d 'print the settings of every controller'
complete -c cgxget -s n -d 'do not print the group names'
complete -c cgxget -s v -l values-only -d 'print the values only, without the setting names'
complete -c cgxget -s J -l json -d 'use JSON output format'
complete -c cgxget -s b -d 'ignore the default systemd scope'
complete -c cgxget -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgxget -s h -l help -d 'display this help'
