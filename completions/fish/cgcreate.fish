complete -c cgcreate -s g -l group -d 'the group to create, in the hierarchies of these controllers (repeatable; * for all, :path for a v2 group without controllers)' -r
complete -c cgcreate -s a -l admin -d 'owner of the group\'s directory and files (name or id)' -r
complete -c cgcreate -s t -l task -d 'owner of the task files (name or id)' -r
complete -c cgcreate -s d -l dperm -d 'mode of the group\'s directory (octal)' -r
complete -c cgcreate -s f -l fperm -d 'mode of the setting files (octal)' -r
complete -c cgcreate -s s -l tperm -d 'mode of the task files (octal)' -r
complete -c cgcreate -s p -l pid -d 'the process that makes up the scope (default: an idle process)' -r
complete -c cgcreate -s b -d 'ignore the default systemd scope'
complete -c cgcreate -s c -l scope -d 'start a delegated systemd scope SLICE.slice/SCOPE.scope[/sub/groups] and create the groups inside it'
complete -c cgcreate -s S -l setdefault -d 'make the scope the default scope of later group names'
complete -c cgcreate -l user -d 'use the calling user\'s systemd manager and default scope'
complete -c cgcreate -s h -l help -d 'display this help'
