complete -c cgrulesengd -s f -l logfile -d 'write the log to this file (- for standard output)' -r
complete -c cgrulesengd -s s -l syslog -d 'write the log to syslog: facility 0-7 for local0-7, D for daemon (the default)' -r
complete -c cgrulesengd -s u -l socket-user -d 'the owner of /var/run/cgred.socket' -r
complete -c cgrulesengd -s g -l socket-group -d 'the group of /var/run/cgred.socket' -r
complete -c cgrulesengd -s q -l quiet -d 'log less (repeatable)'
complete -c cgrulesengd -s v -l verbose -d 'log more (repeatable)'
complete -c cgrulesengd -s n -l nodaemon -d 'stay in the foreground'
complete -c cgrulesengd -s d -l debug -d 'the same as -v -v -n -f -'
complete -c cgrulesengd -s Q -l nolog -d 'log nothing'
complete -c cgrulesengd -s h -l help -d 'display this help'
