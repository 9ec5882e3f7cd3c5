complete -c switch_root -s h -l help -d 'display this help'
complete -c switch_root -s V -l version -d 'display version'
