complete -c cgdelete -s g -l group -d 'the group to remove (repeatable; the -g may be left out)' -r
complete -c cgdelete -s r -l recursive -d 'remove the group\'s descendants too, deepest first'
complete -c cgdelete -s b -d 'ignore the default systemd scope'
complete -c cgdelete -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgdelete -s h -l help -d 'display this help'
