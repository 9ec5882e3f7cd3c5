complete -c cgtop -l order -d 'order by path, tasks, cpu, memory, io, swap, throttle, oom or pressure' -r
complete -c cgtop -s n -l iterations -d 'stop after N refreshes (0: never)' -r
complete -c cgtop -s d -l delay -d 'time between refreshes: seconds, or a number with us, ms, s or min (default 1s)' -r
complete -c cgtop -l depth -d 'show groups at most N levels below the top one (default 3)' -r
complete -c cgtop -l cpu -d 'show CPU use as percentage (default) or time' -r -f -a "percentage\t''
time\t''"
complete -c cgtop -s p -d 'order by group path'
complete -c cgtop -s t -d 'order by number of tasks'
complete -c cgtop -s c -d 'order by CPU load (default)'
complete -c cgtop -s m -d 'order by memory in use'
complete -c cgtop -s i -d 'order by I/O rate (read and written)'
complete -c cgtop -s R -l reverse -d 'reverse the order (smallest first, paths Z to A)'
complete -c cgtop -s b -l batch -d 'print refreshes as text, read no keys'
complete -c cgtop -s J -l json -d 'print one JSON object per refresh'
complete -c cgtop -s 1 -d 'one refresh only (--iterations=1)'
complete -c cgtop -l flat -d 'one sorted list, not a tree'
complete -c cgtop -s r -l raw -d 'print raw numbers (bytes, microseconds)'
complete -c cgtop -s h -l help -d 'display this help'
complete -c cgtop -s V -l version -d 'display version'
