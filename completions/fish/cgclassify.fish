complete -c cgclassify -s g -l group -d 'the group to move into (repeatable; * for all hierarchies); without -g, the rules of /etc/cgrules.conf decide' -r
complete -c cgclassify -s s -l sticky -d 'keep the rules daemon (cgrulesengd) from moving the processes and their children'
complete -c cgclassify -l cancel-sticky -d 'let the rules daemon move them and their children again'
complete -c cgclassify -s b -d 'ignore the default systemd scope'
complete -c cgclassify -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgclassify -s r -l replace-idle -d 'replace the idle process of the scope the first process lands in'
complete -c cgclassify -s h -l help -d 'display this help'
