complete -c nsenter -s t -l target -d 'the process whose namespaces to enter (with :inode, its pidfd inode)' -r
complete -c nsenter -s m -l mount -d 'enter the mount namespace' -r -F
complete -c nsenter -s u -l uts -d 'enter the UTS namespace (host name)' -r -F
complete -c nsenter -s i -l ipc -d 'enter the System V IPC namespace' -r -F
complete -c nsenter -s n -l net -d 'enter the network namespace' -r -F
complete -c nsenter -s N -l net-socket -d 'enter the network namespace of the target\'s socket <fd> (needs --target)' -r
complete -c nsenter -s p -l pid -d 'enter the pid namespace (forks)' -r -F
complete -c nsenter -s U -l user -d 'enter the user namespace' -r -F
complete -c nsenter -s C -l cgroup -d 'enter the cgroup namespace' -r -F
complete -c nsenter -s T -l time -d 'enter the time namespace' -r -F
complete -c nsenter -s S -l setuid -d 'set the uid in the entered namespaces' -r
complete -c nsenter -s G -l setgid -d 'set the gid in the entered namespaces' -r
complete -c nsenter -s r -l root -d 'set the root directory (default: the target\'s)' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -s w -l wd -d 'set the working directory (default: the target\'s)' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -s W -l wdns -d 'set the working directory, as seen inside' -r -f -a "(__fish_complete_directories)"
complete -c nsenter -s a -l all -d 'enter every namespace of the target'
complete -c nsenter -l preserve-credentials -d 'leave uid, gid and groups as they are'
complete -c nsenter -s e -l env -d 'take the environment of the target'
complete -c nsenter -s F -l no-fork -d 'do not fork before executing <program>'
complete -c nsenter -l keep-caps -d 'keep the user namespace\'s capabilities across exec'
complete -c nsenter -l user-parent -d 'enter the parent of the user namespace instead'
complete -c nsenter -s c -l join-cgroup -d 'join the target\'s cgroup (cgroup v2)'
complete -c nsenter -s Z -l follow-context -d 'take the target\'s SELinux context (not supported: fails)'
complete -c nsenter -s h -l help -d 'display this help'
complete -c nsenter -s V -l version -d 'display version'
