complete -c cgexec -s g -l group -d 'the group to run in (repeatable; * for all hierarchies)' -r
complete -c cgexec -s s -l sticky -d 'keep the rules daemon from moving the program (accepted; no daemon is used)'
complete -c cgexec -s b -d 'accepted for compatibility; there is no default systemd scope'
complete -c cgexec -s h -l help -d 'display this help'
