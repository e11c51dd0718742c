package org.kmview.core.internal.syscall;

/**
 * A path argument of a syscall: where it is, which argument contains its directory fd, and when the
 * last component is followed if it is a symbolic link.
 *
 * @param index the argument that contains the path pointer
 * @param dirfd the argument that contains the directory fd, or -1 when the path is relative to the cwd
 * @param follow when a final symbolic link is followed
 * @param flagsIndex the argument that contains the flags {@code follow} looks at, or -1
 * @param flagMask the flag bits {@code follow} looks at
 */
public record PathArg(int index, int dirfd, Follow follow, int flagsIndex, long flagMask) {

    /** The treatment of a symbolic link in the last component of a syscall's path. */
    public enum Follow {
        /** Always follows it (stat, chdir, execve). */
        ALWAYS,
        /** Never follows it (lstat, unlink, mkdir, rename). */
        NEVER,
        /** Follows unless {@code flagMask} is set in the flags argument (AT_SYMLINK_NOFOLLOW). */
        UNLESS_FLAG,
        /** Follows only if {@code flagMask} is set in the flags argument (AT_SYMLINK_FOLLOW). */
        IF_FLAG,
        /** Follows unless the open flags hold O_NOFOLLOW, or O_CREAT with O_EXCL. */
        OPEN_FLAGS
    }

    static final int NO_DIRFD = -1;

    private static final long O_CREAT = 0100;
    private static final long O_EXCL = 0200;
    private static final long O_NOFOLLOW = 0400000;

    /** Returns whether a final symbolic link is followed for these syscall arguments. */
    public boolean followsLast(long[] args) {
        return switch (follow) {
            case ALWAYS -> true;
            case NEVER -> false;
            case UNLESS_FLAG -> (args[flagsIndex] & flagMask) == 0;
            case IF_FLAG -> (args[flagsIndex] & flagMask) != 0;
            case OPEN_FLAGS -> followsLastForOpen(args[flagsIndex]);
        };
    }

    /** Returns whether open(2) with {@code flags} follows a final symbolic link. */
    public static boolean followsLastForOpen(long flags) {
        boolean exclusiveCreate = (flags & O_CREAT) != 0 && (flags & O_EXCL) != 0;
        return (flags & O_NOFOLLOW) == 0 && !exclusiveCreate;
    }

    static PathArg follow(int index, int dirfd) {
        return new PathArg(index, dirfd, Follow.ALWAYS, -1, 0);
    }

    static PathArg noFollow(int index, int dirfd) {
        return new PathArg(index, dirfd, Follow.NEVER, -1, 0);
    }

    static PathArg unlessFlag(int index, int dirfd, int flagsIndex, long mask) {
        return new PathArg(index, dirfd, Follow.UNLESS_FLAG, flagsIndex, mask);
    }

    static PathArg ifFlag(int index, int dirfd, int flagsIndex, long mask) {
        return new PathArg(index, dirfd, Follow.IF_FLAG, flagsIndex, mask);
    }

    static PathArg openFlags(int index, int dirfd, int flagsIndex) {
        return new PathArg(index, dirfd, Follow.OPEN_FLAGS, flagsIndex, 0);
    }
}
