complete -c cgexec -s g -l group -d 'the group to run in (repeatable; * for all hierarchies)' -r
complete -c cgexec -s s -l sticky -d 'keep the rules daemon (cgrulesengd) from moving the program\'s children too'
complete -c cgexec -s b -d 'ignore the default systemd scope'
complete -c cgexec -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgexec -s r -l replace-idle -d 'replace the scope\'s idle process (cgcreate -c) with the program'
complete -c cgexec -s h -l help -d 'display this help'
