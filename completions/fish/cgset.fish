complete -c cgset -s r -l rule -d 'the setting to write (repeatable); v1 and v2 names both work' -r
complete -c cgset -l copy-from -d 'copy every writable setting of the group at <path>' -r
complete -c cgset -s R -l recursive -d 'set the group\'s descendants too'
complete -c cgset -s b -d 'ignore the default systemd scope'
complete -c cgset -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgset -s h -l help -d 'display this help'
