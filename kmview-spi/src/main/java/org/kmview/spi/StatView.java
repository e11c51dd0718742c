package org.kmview.spi;

/**
 * The differences between stat results below a mount and those of the host files it maps to, as a
 * mount of an archive or image shows its own owner, permissions and device. kmview applies it to
 * stat, lstat, newfstatat and statx on paths below the mount.
 *
 * @param ownDevice whether the mount shows a device number of its own, as a separate file system
 *        does, instead of the host file system's
 * @param uid the owner every entry shows, or -1 to show the host file's
 * @param gid the group every entry shows, or -1 to show the host file's
 * @param fileMode the permission bits every non-directory shows, or -1 to show the host file's
 * @param directoryMode the permission bits every directory shows, or -1 to show the host file's
 * @param umask permission bits cleared after the above, 0 for none
 */
public record StatView(boolean ownDevice, int uid, int gid, int fileMode, int directoryMode, int umask) {

    /** A view that changes only the device number. */
    public static final StatView OWN_DEVICE = new StatView(true, -1, -1, -1, -1, 0);

    /** Checks that the modes and the umask are permission bits. */
    public StatView {
        for (int bits : new int[] {fileMode, directoryMode}) {
            if (bits < -1 || bits > 07777) {
                throw new IllegalArgumentException("not permission bits: " + Integer.toOctalString(bits));
            }
        }
        if (umask < 0 || umask > 07777) {
            throw new IllegalArgumentException("not a umask: " + Integer.toOctalString(umask));
        }
    }

    /** Returns the st_mode to show for a host st_mode. */
    public int mode(int hostMode) {
        int type = hostMode & ~07777;
        int permissions = hostMode & 07777;
        boolean directory = (hostMode & 0170000) == 0040000;
        if (directory && directoryMode >= 0) {
            permissions = directoryMode;
        } else if (!directory && fileMode >= 0) {
            permissions = fileMode;
        }
        return type | (permissions & ~umask);
    }
}
