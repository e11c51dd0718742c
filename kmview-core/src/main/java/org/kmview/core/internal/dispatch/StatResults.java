package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.StatView;

/**
 * Patches the results of stat calls on paths below a mount with a {@link StatView}: the device
 * number, owner, group and permission bits in struct stat or struct statx, at the call's exit.
 *
 * <p>NOTE: fstat(2) and statx with AT_EMPTY_PATH on a descriptor are not trapped, so they show
 * the host file's values.
 */
final class StatResults {

    // struct stat on x86_64 (asm/stat.h).
    private static final int STAT_DEV = 0;
    private static final int STAT_MODE = 24;
    private static final int STAT_UID = 28;
    private static final int STAT_GID = 32;
    private static final int STAT_SIZE = 36;
    // struct statx (linux/stat.h).
    private static final int STATX_UID = 20;
    private static final int STATX_GID = 24;
    private static final int STATX_MODE = 28;
    private static final int STATX_DEV_MAJOR = 136;
    private static final int STATX_DEV_MINOR = 140;
    private static final int STATX_SIZE = 144;

    private StatResults() {
    }

    /**
     * Arranges the patch of the stat buffer at {@code buffer} when the mount showing
     * {@code viewPath} has a stat view.
     */
    static void patchAtExit(SyscallStop stop, MountTable mounts, String viewPath, boolean statx, long buffer) {
        Optional<MountTable.Entry> shown = mounts.showing(viewPath);
        Optional<StatView> view = shown.flatMap(entry -> entry.mount().statView());
        if (view.isEmpty()) {
            return;
        }
        int minor = mounts.deviceMinor(shown.get());
        StatView statView = view.get();
        stop.atExit(exit -> {
            if (exit.returnValue() != 0) {
                return;
            }
            byte[] raw = exit.read(buffer, statx ? STATX_SIZE : STAT_SIZE);
            if (raw == null) {
                return;
            }
            ByteBuffer fields = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            if (statx) {
                patchStatx(fields, statView, minor);
            } else {
                patchStat(fields, statView, minor);
            }
            exit.write(buffer, raw);
        });
    }

    private static void patchStat(ByteBuffer fields, StatView view, int minor) {
        if (view.ownDevice()) {
            fields.putLong(STAT_DEV, encodeDevice(0, minor));
        }
        fields.putInt(STAT_MODE, view.mode(fields.getInt(STAT_MODE)));
        if (view.uid() >= 0) {
            fields.putInt(STAT_UID, view.uid());
        }
        if (view.gid() >= 0) {
            fields.putInt(STAT_GID, view.gid());
        }
    }

    private static void patchStatx(ByteBuffer fields, StatView view, int minor) {
        if (view.ownDevice()) {
            fields.putInt(STATX_DEV_MAJOR, 0);
            fields.putInt(STATX_DEV_MINOR, minor);
        }
        fields.putShort(STATX_MODE, (short) view.mode(fields.getShort(STATX_MODE) & 0xffff));
        if (view.uid() >= 0) {
            fields.putInt(STATX_UID, view.uid());
        }
        if (view.gid() >= 0) {
            fields.putInt(STATX_GID, view.gid());
        }
    }

    /** Encodes a device number as glibc's makedev does. */
    static long encodeDevice(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
