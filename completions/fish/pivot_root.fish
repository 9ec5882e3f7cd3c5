complete -c pivot_root -s h -l help -d 'display this help'
complete -c pivot_root -s V -l version -d 'display version'
