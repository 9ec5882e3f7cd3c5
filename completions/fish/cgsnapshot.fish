complete -c cgsnapshot -s b -l denylist -d 'leave out the settings this file lists (default /etc/cgsnapshot_denylist.conf)' -r
complete -c cgsnapshot -s f -l file -d 'write the configuration to FILE instead of standard output' -r
complete -c cgsnapshot -s w -l allowlist -d 'settings that are expected, without a warning (none by default)' -r
complete -c cgsnapshot -s h -l help -d 'display this help'
complete -c cgsnapshot -s s -l silent -d 'do not warn about settings on neither list'
complete -c cgsnapshot -s t -l strict -d 'write only the settings the allow list names'
