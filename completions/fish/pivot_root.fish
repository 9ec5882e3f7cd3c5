complete -c pivot_root -l move-if-rootfs -d '(ours; first argument only) when / is the initramfs, move new_root over it instead; put_old is unused, the old root stays under the new one; then run: chroot . command'
complete -c pivot_root -s h -l help -d 'display this help'
complete -c pivot_root -s V -l version -d 'display version'
