complete -c lsns -s p -l task -d 'only the namespaces process <pid> is in' -r
complete -c lsns -s o -l output -d 'the columns to print (+<list> adds to the default)' -r
complete -c lsns -s Q -l filter -d 'only the lines <expr> is true for (see scols-filter(5))' -r
complete -c lsns -s t -l type -d 'only this kind of namespace (mnt, net, ipc, user, pid, uts, cgroup, time); repeatable' -r -f -a "mnt\t''
net\t''
ipc\t''
user\t''
pid\t''
uts\t''
cgroup\t''
time\t''"
complete -c lsns -s T -l tree -d 'print a tree of namespaces by owner (default) or parent, or of processes (process)' -r -f -a "owner\t''
parent\t''
process\t''"
complete -c lsns -s J -l json -d 'print JSON'
complete -c lsns -s h -l help -d 'display this help'
complete -c lsns -l output-all -d 'print every column'
complete -c lsns -s P -l persistent -d 'only namespaces no process is in'
complete -c lsns -s u -l notruncate -d 'never shorten a column to fit the terminal'
complete -c lsns -s V -l version -d 'display version'
complete -c lsns -s n -l noheadings -d 'print no header line'
complete -c lsns -s W -l nowrap -d 'keep each cell on one line (NSFS joined with commas)'
complete -c lsns -s l -l list -d 'print a flat list, not a tree'
complete -c lsns -s r -l raw -d 'print unaligned, with special characters escaped'
complete -c lsns -s H -l list-columns -d 'list the columns and exit'
