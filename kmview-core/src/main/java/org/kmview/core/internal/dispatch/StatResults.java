package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Optional;

import org.kmview.core.Log;
import org.kmview.core.internal.tracer.SyscallStop;
import org.kmview.spi.Owner;
import org.kmview.spi.StatView;

/**
 * Patches the results of stat calls on paths below a mount with a {@link StatView}: the device
 * number, owner, group and permission bits in struct stat or struct statx, at the call's exit.
 *
 * <p>NOTE: fstat(2) and statx with AT_EMPTY_PATH on a descriptor are not trapped, so they show
 * the host file's values.
 */
final class StatResults {

    private static final Log LOG = Log.of(StatResults.class);

    // struct stat on x86_64 (asm/stat.h), up to the fields kmview patches; SecureMode reads them too.
    static final int STAT_DEV = 0;
    static final int STAT_INO = 8;
    private static final int STAT_MODE = 24;
    static final int STAT_UID = 28;
    static final int STAT_GID = 32;
    static final int STAT_SIZE = 36;
    // struct statx (linux/stat.h), up to the fields kmview patches.
    static final int STATX_UID = 20;
    static final int STATX_GID = 24;
    private static final int STATX_MODE = 28;
    static final int STATX_INO = 32;
    static final int STATX_DEV_MAJOR = 136;
    static final int STATX_DEV_MINOR = 140;
    static final int STATX_SIZE = 144;

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
        Optional<Owner> owner = Optional.empty();
        if (statView.uid() < 0 || statView.gid() < 0) {
            try {
                owner = shown.get().mount().ownerOf(MountTable.relative(shown.get().mountPoint(), viewPath));
            } catch (RuntimeException e) {
                LOG.error("[{}] service {} failed to give the owner of {}", stop.tracee().tid(), shown.get().service(),
                        viewPath, e);
            }
        }
        Optional<Owner> shownOwner = owner;
        if (changesDeviceOnly(statView, owner)) {
            // Only the device number changes, so it is written without reading the result first.
            byte[] device = encodedDevice(minor, statx);
            long at = buffer + (statx ? STATX_DEV_MAJOR : STAT_DEV);
            stop.atExit(exit -> {
                if (exit.returnValue() == 0) {
                    exit.write(at, device);
                }
            });
            return;
        }
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
                patchStatx(fields, statView, minor, shownOwner);
            } else {
                patchStat(fields, statView, minor, shownOwner);
            }
            exit.write(buffer, raw);
        });
    }

    /** Returns whether the view changes no field of a stat result but the device number. */
    private static boolean changesDeviceOnly(StatView view, Optional<Owner> owner) {
        return view.ownDevice() && view.uid() < 0 && view.gid() < 0 && owner.isEmpty() && view.fileMode() < 0
                && view.directoryMode() < 0 && view.umask() == 0;
    }

    /** Returns st_dev of struct stat, or stx_dev_major and stx_dev_minor of struct statx, as bytes. */
    private static byte[] encodedDevice(int minor, boolean statx) {
        ByteBuffer device = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
        if (statx) {
            device.putInt(0).putInt(minor);
        } else {
            device.putLong(encodeDevice(0, minor));
        }
        return device.array();
    }

    private static void patchStat(ByteBuffer fields, StatView view, int minor, Optional<Owner> owner) {
        if (view.ownDevice()) {
            fields.putLong(STAT_DEV, encodeDevice(0, minor));
        }
        fields.putInt(STAT_MODE, view.mode(fields.getInt(STAT_MODE)));
        patchOwner(fields, view, owner, STAT_UID, STAT_GID);
    }

    private static void patchStatx(ByteBuffer fields, StatView view, int minor, Optional<Owner> owner) {
        if (view.ownDevice()) {
            fields.putInt(STATX_DEV_MAJOR, 0);
            fields.putInt(STATX_DEV_MINOR, minor);
        }
        fields.putShort(STATX_MODE, (short) view.mode(fields.getShort(STATX_MODE) & 0xffff));
        patchOwner(fields, view, owner, STATX_UID, STATX_GID);
    }

    private static void patchOwner(ByteBuffer fields, StatView view, Optional<Owner> owner, int uidAt, int gidAt) {
        if (view.uid() >= 0) {
            fields.putInt(uidAt, view.uid());
        } else if (owner.isPresent()) {
            fields.putInt(uidAt, owner.get().uid());
        }
        if (view.gid() >= 0) {
            fields.putInt(gidAt, view.gid());
        } else if (owner.isPresent()) {
            fields.putInt(gidAt, owner.get().gid());
        }
    }

    /** Decodes the major number of a device number, as glibc's major() does. */
    static long majorOf(long device) {
        return ((device >>> 8) & 0xfffL) | ((device >>> 32) & 0xfffff000L);
    }

    /** Decodes the minor number of a device number, as glibc's minor() does. */
    static long minorOf(long device) {
        return (device & 0xffL) | ((device >>> 12) & 0xffffff00L);
    }

    /** Encodes a device number as glibc's makedev does. */
    static long encodeDevice(long major, long minor) {
        return ((major & 0xfffff000L) << 32) | ((major & 0xfffL) << 8) | ((minor & 0xffffff00L) << 12) | (minor & 0xffL);
    }
}
