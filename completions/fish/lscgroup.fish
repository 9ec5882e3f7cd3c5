complete -c lscgroup -s g -l group -d 'list this group and its descendants (repeatable; the -g may be left out)' -r
complete -c lscgroup -s J -l json -d 'use JSON output format'
complete -c lscgroup -s b -d 'ignore the default systemd scope'
complete -c lscgroup -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c lscgroup -s h -l help -d 'display this help'
