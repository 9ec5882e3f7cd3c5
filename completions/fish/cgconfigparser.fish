complete -c cgconfigparser -s l -l load -d 'parse and load the cgroups configuration file (repeatable)' -r
complete -c cgconfigparser -s L -l load-directory -d 'parse and load the *.conf files of a directory, in name order' -r
complete -c cgconfigparser -s a -l admin -d 'default owner of the groups\' directories and files' -r
complete -c cgconfigparser -s t -l task -d 'default owner of the task files' -r
complete -c cgconfigparser -s d -l dperm -d 'default mode of the groups\' directories (octal)' -r
complete -c cgconfigparser -s f -l fperm -d 'default mode of the setting files (octal)' -r
complete -c cgconfigparser -s s -l tperm -d 'default mode of the task files (octal)' -r
complete -c cgconfigparser -s h -l help -d 'display this help'
