package org.kmview.umfuse;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * The parts of the FUSE kernel protocol ({@code linux/fuse_kernel.h}, version 7.31) that the
 * view speaks to a daemon: opcodes, the layout of requests, and the parsing of replies. All
 * numbers are in the machine's byte order, as on the real device.
 */
final class FuseProtocol {

    static final int KERNEL_MAJOR = 7;
    static final int KERNEL_MINOR = 31;
    static final long ROOT_ID = 1;

    static final int LOOKUP = 1;
    static final int FORGET = 2;
    static final int GETATTR = 3;
    static final int SETATTR = 4;
    static final int READLINK = 5;
    static final int SYMLINK = 6;
    static final int MKNOD = 8;
    static final int MKDIR = 9;
    static final int UNLINK = 10;
    static final int RMDIR = 11;
    static final int RENAME = 12;
    static final int LINK = 13;
    static final int OPEN = 14;
    static final int READ = 15;
    static final int WRITE = 16;
    static final int STATFS = 17;
    static final int RELEASE = 18;
    static final int FSYNC = 20;
    static final int SETXATTR = 21;
    static final int GETXATTR = 22;
    static final int LISTXATTR = 23;
    static final int REMOVEXATTR = 24;
    static final int FLUSH = 25;
    static final int INIT = 26;
    static final int INTERRUPT = 36;
    static final int BATCH_FORGET = 42;
    static final int OPENDIR = 27;
    static final int READDIR = 28;
    static final int RELEASEDIR = 29;
    static final int ACCESS = 34;
    static final int CREATE = 35;
    static final int DESTROY = 38;
    static final int READDIRPLUS = 44;
    static final int RENAME2 = 45;

    /** INIT flag: the daemon may take writes larger than 4 KiB. */
    static final int FUSE_BIG_WRITES = 1 << 5;
    /** INIT flag: the daemon replies to READDIRPLUS, a listing with each entry's LOOKUP reply. */
    static final int FUSE_DO_READDIRPLUS = 1 << 13;

    static final int FATTR_MODE = 1;
    static final int FATTR_UID = 2;
    static final int FATTR_GID = 4;
    static final int FATTR_SIZE = 8;
    static final int FATTR_ATIME = 16;
    static final int FATTR_MTIME = 32;
    static final int FATTR_ATIME_NOW = 1 << 7;
    static final int FATTR_MTIME_NOW = 1 << 8;

    static final int IN_HEADER = 40;
    static final int OUT_HEADER = 16;
    static final int ATTR_SIZE = 88;
    static final int ENTRY_OUT = 40 + ATTR_SIZE;
    static final int ATTR_OUT = 16 + ATTR_SIZE;
    static final int OPEN_OUT = 16;

    private FuseProtocol() {
    }

    /** Returns the name of an opcode, for log lines. */
    static String opcodeName(int opcode) {
        return switch (opcode) {
            case LOOKUP -> "LOOKUP";
            case FORGET -> "FORGET";
            case GETATTR -> "GETATTR";
            case SETATTR -> "SETATTR";
            case READLINK -> "READLINK";
            case SYMLINK -> "SYMLINK";
            case MKNOD -> "MKNOD";
            case ACCESS -> "ACCESS";
            case MKDIR -> "MKDIR";
            case UNLINK -> "UNLINK";
            case RMDIR -> "RMDIR";
            case RENAME -> "RENAME";
            case LINK -> "LINK";
            case OPEN -> "OPEN";
            case READ -> "READ";
            case WRITE -> "WRITE";
            case STATFS -> "STATFS";
            case RELEASE -> "RELEASE";
            case FSYNC -> "FSYNC";
            case SETXATTR -> "SETXATTR";
            case GETXATTR -> "GETXATTR";
            case LISTXATTR -> "LISTXATTR";
            case REMOVEXATTR -> "REMOVEXATTR";
            case FLUSH -> "FLUSH";
            case INIT -> "INIT";
            case INTERRUPT -> "INTERRUPT";
            case BATCH_FORGET -> "BATCH_FORGET";
            case OPENDIR -> "OPENDIR";
            case READDIR -> "READDIR";
            case RELEASEDIR -> "RELEASEDIR";
            case CREATE -> "CREATE";
            case DESTROY -> "DESTROY";
            case READDIRPLUS -> "READDIRPLUS";
            case RENAME2 -> "RENAME2";
            default -> "opcode " + opcode;
        };
    }

    /** Returns a buffer in the machine's byte order. */
    static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    /** Returns {@code name} as the protocol sends a name: its bytes and a terminating NUL. */
    static byte[] name(String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        byte[] terminated = new byte[bytes.length + 1];
        System.arraycopy(bytes, 0, terminated, 0, bytes.length);
        return terminated;
    }

    /** Returns the concatenation of {@code parts}. */
    static byte[] concat(byte[]... parts) {
        int length = 0;
        for (byte[] part : parts) {
            length += part.length;
        }
        byte[] all = new byte[length];
        int at = 0;
        for (byte[] part : parts) {
            System.arraycopy(part, 0, all, at, part.length);
            at += part.length;
        }
        return all;
    }

    /** Returns the body of INIT: the protocol version the view speaks and the flags it offers. */
    static byte[] init() {
        ByteBuffer body = buffer(16);
        body.putInt(KERNEL_MAJOR).putInt(KERNEL_MINOR).putInt(128 * 1024).putInt(FUSE_BIG_WRITES | FUSE_DO_READDIRPLUS);
        return body.array();
    }

    /** Returns the body of OPEN and OPENDIR. */
    static byte[] open(int flags) {
        return buffer(8).putInt(flags).putInt(0).array();
    }

    /** Returns the body of READ and READDIR. */
    static byte[] read(long handle, long offset, int size) {
        ByteBuffer body = buffer(40);
        body.putLong(handle).putLong(offset).putInt(size);
        return body.array();
    }

    /** Returns the body of WRITE: its header and the data. */
    static byte[] write(long handle, long offset, byte[] data, int length) {
        ByteBuffer body = buffer(40 + length);
        body.putLong(handle).putLong(offset).putInt(length).putInt(0).putLong(0).putInt(0).putInt(0);
        body.put(data, 0, length);
        return body.array();
    }

    /** Returns the body of RELEASE and RELEASEDIR. */
    static byte[] release(long handle, int flags) {
        return buffer(24).putLong(handle).putInt(flags).array();
    }

    /** Returns the body of RENAME, sent to the old parent: the new parent, the old name, the new name. */
    static byte[] rename(long newParent, String oldName, String newName) {
        return concat(buffer(8).putLong(newParent).array(), name(oldName), name(newName));
    }

    /** Returns the body of RENAME2: as RENAME, with the renameat2 flags. */
    static byte[] rename2(long newParent, long flags, String oldName, String newName) {
        return concat(buffer(16).putLong(newParent).putInt((int) flags).array(), name(oldName), name(newName));
    }

    /** Returns the body of LINK, sent to the new parent: the node to link, the new name. */
    static byte[] link(long nodeId, String newName) {
        return concat(buffer(8).putLong(nodeId).array(), name(newName));
    }

    /** Returns the body of LISTXATTR: the buffer size, 0 to ask for the size needed. */
    static byte[] listxattr(int size) {
        return buffer(8).putInt(size).array();
    }

    /** Returns the body of GETXATTR: the buffer size, 0 to ask for the size needed, and the name. */
    static byte[] getxattr(int size, String name) {
        return concat(buffer(8).putInt(size).array(), name(name));
    }

    /** Returns the body of SETXATTR: the value size, flags 0 (create or replace), the name, the value. */
    static byte[] setxattr(String name, byte[] value) {
        return setxattr(name, value, 0);
    }

    /** Returns the body of SETXATTR with the setxattr(2) flags (XATTR_CREATE, XATTR_REPLACE). */
    static byte[] setxattr(String name, byte[] value, int flags) {
        return concat(buffer(8).putInt(value.length).putInt(flags).array(), name(name), value);
    }

    /** Returns the size a LISTXATTR or GETXATTR reply with buffer size 0 gives ({@code struct fuse_getxattr_out}). */
    static int xattrSize(byte[] payload) throws MalformedReply {
        if (payload.length < 8) {
            throw new MalformedReply("xattr size reply of " + payload.length + " bytes, 8 expected");
        }
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder()).getInt(0);
    }

    /** Returns the body of FLUSH, which the kernel sends at each close of a descriptor. */
    static byte[] flush(long handle) {
        return buffer(24).putLong(handle).array();
    }

    /** Returns the body of INTERRUPT: the request to give up. */
    static byte[] interrupt(long unique) {
        return buffer(8).putLong(unique).array();
    }

    /** Returns the body of FORGET: the lookups of the header's node that the view drops. */
    static byte[] forget(long lookups) {
        return buffer(8).putLong(lookups).array();
    }

    /** Returns the body of BATCH_FORGET: node ids and the lookups of each that the view drops. */
    static byte[] batchForget(List<long[]> forgets) {
        ByteBuffer body = buffer(8 + 16 * forgets.size());
        body.putInt(forgets.size()).putInt(0);
        for (long[] forget : forgets) {
            body.putLong(forget[0]).putLong(forget[1]);
        }
        return body.array();
    }

    /** Returns the body of FSYNC: data and metadata. */
    static byte[] fsync(long handle) {
        return buffer(16).putLong(handle).array();
    }

    /** Returns the body of MKDIR. */
    static byte[] mkdir(int mode, String name) {
        return concat(buffer(8).putInt(mode).putInt(0).array(), name(name));
    }

    /** Returns the body of MKNOD: the mode with the file type, the device number, umask 0, the name. */
    static byte[] mknod(int mode, long device, String name) {
        return concat(buffer(16).putInt(mode).putInt((int) device).array(), name(name));
    }

    /** Returns the body of ACCESS: the access(2) mask. */
    static byte[] access(int mask) {
        return buffer(8).putInt(mask).array();
    }

    /** Returns the body of CREATE. */
    static byte[] create(int flags, int mode, String name) {
        return concat(buffer(16).putInt(flags).putInt(mode).putInt(0).putInt(0).array(), name(name));
    }

    /** Returns the body of SYMLINK: the new name, then the target. */
    static byte[] symlink(String name, String target) {
        return concat(name(name), name(target));
    }

    /** Returns the body of GETATTR. */
    static byte[] getattr() {
        return buffer(16).array();
    }

    /**
     * Returns the body of SETATTR.
     *
     * @param valid the FATTR_* bits of the fields to set
     */
    static byte[] setattr(int valid, long size, int mode, long uid, long gid, long atimeNanos, long mtimeNanos) {
        ByteBuffer body = buffer(88);
        body.putInt(0, valid);
        body.putLong(16, size);
        body.putLong(32, Math.floorDiv(atimeNanos, 1_000_000_000L));
        body.putLong(40, Math.floorDiv(mtimeNanos, 1_000_000_000L));
        body.putInt(56, (int) Math.floorMod(atimeNanos, 1_000_000_000L));
        body.putInt(60, (int) Math.floorMod(mtimeNanos, 1_000_000_000L));
        body.putInt(68, mode);
        body.putInt(76, (int) uid);
        body.putInt(80, (int) gid);
        return body.array();
    }

    /** The attributes of a node ({@code struct fuse_attr}). */
    record Attr(long ino, long size, long atimeNanos, long mtimeNanos, int mode, int nlink, int uid, int gid) {

        static Attr parse(ByteBuffer reply, int at) {
            long atime = reply.getLong(at + 24) * 1_000_000_000L + Integer.toUnsignedLong(reply.getInt(at + 48));
            long mtime = reply.getLong(at + 32) * 1_000_000_000L + Integer.toUnsignedLong(reply.getInt(at + 52));
            return new Attr(reply.getLong(at), reply.getLong(at + 8), atime, mtime, reply.getInt(at + 60),
                    reply.getInt(at + 64), reply.getInt(at + 68), reply.getInt(at + 72));
        }
    }

    /** A LOOKUP, MKDIR, SYMLINK or CREATE reply ({@code struct fuse_entry_out}). */
    record Entry(long nodeId, Attr attr) {

        static Entry parse(byte[] payload) throws MalformedReply {
            if (payload.length < ENTRY_OUT) {
                throw new MalformedReply("entry reply of " + payload.length + " bytes, " + ENTRY_OUT + " expected");
            }
            ByteBuffer reply = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
            return new Entry(reply.getLong(0), Attr.parse(reply, 40));
        }
    }

    /** Returns the attributes of a GETATTR or SETATTR reply ({@code struct fuse_attr_out}). */
    static Attr attrOut(byte[] payload) throws MalformedReply {
        if (payload.length < ATTR_OUT) {
            throw new MalformedReply("attribute reply of " + payload.length + " bytes, " + ATTR_OUT + " expected");
        }
        return Attr.parse(ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder()), 16);
    }

    /** The magic number statfs reports for FUSE file systems ({@code FUSE_SUPER_MAGIC}). */
    static final long FUSE_SUPER_MAGIC = 0x65735546L;

    /** Parses a STATFS reply ({@code struct fuse_kstatfs}) into what statfs(2) reports. */
    static org.kmview.spi.FileSystemStats statfs(byte[] payload) throws MalformedReply {
        if (payload.length < 56) {
            throw new MalformedReply("statfs reply of " + payload.length + " bytes, 80 expected");
        }
        ByteBuffer reply = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        long blockSize = Integer.toUnsignedLong(reply.getInt(40));
        long fragmentSize = Integer.toUnsignedLong(reply.getInt(48));
        return new org.kmview.spi.FileSystemStats(FUSE_SUPER_MAGIC, blockSize, reply.getLong(0), reply.getLong(8),
                reply.getLong(16), reply.getLong(24), reply.getLong(32), Integer.toUnsignedLong(reply.getInt(44)),
                fragmentSize == 0 ? blockSize : fragmentSize);
    }

    /** Returns the file handle of an OPEN or OPENDIR reply, or of the open part of a CREATE reply. */
    static long handle(byte[] payload, int at) throws MalformedReply {
        if (payload.length < at + OPEN_OUT) {
            throw new MalformedReply("open reply of " + payload.length + " bytes, " + (at + OPEN_OUT) + " expected");
        }
        return ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder()).getLong(at);
    }

    /** One entry of a READDIR reply; of a READDIRPLUS reply also its LOOKUP reply, or null where the daemon gave none. */
    record Dirent(String name, long offset, int type, Entry entry) {

        /** Creates an entry of a READDIR reply. */
        Dirent(String name, long offset, int type) {
            this(name, offset, type, null);
        }
    }

    /** Parses a READDIRPLUS reply: {@code struct fuse_direntplus} records, each padded to 8 bytes. */
    static List<Dirent> direntsPlus(byte[] payload) throws MalformedReply {
        ByteBuffer reply = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        List<Dirent> entries = new ArrayList<>();
        int at = 0;
        while (at + ENTRY_OUT + 24 <= payload.length) {
            int dirent = at + ENTRY_OUT;
            long offset = reply.getLong(dirent + 8);
            int length = reply.getInt(dirent + 16);
            int type = reply.getInt(dirent + 20);
            if (length <= 0 || length > 1024 || dirent + 24 + length > payload.length) {
                throw new MalformedReply("directory entry at byte " + at + " has a name of " + length + " bytes");
            }
            String name = new String(payload, dirent + 24, length, StandardCharsets.UTF_8);
            long nodeId = reply.getLong(at);
            Entry entry = nodeId == 0 ? null : new Entry(nodeId, Attr.parse(reply, at + 40));
            entries.add(new Dirent(name, offset, type, entry));
            at += (ENTRY_OUT + 24 + length + 7) & ~7;
        }
        return entries;
    }

    /** Parses a READDIR reply: {@code struct fuse_dirent} records, each padded to 8 bytes. */
    static List<Dirent> dirents(byte[] payload) throws MalformedReply {
        ByteBuffer reply = ByteBuffer.wrap(payload).order(ByteOrder.nativeOrder());
        List<Dirent> entries = new ArrayList<>();
        int at = 0;
        while (at + 24 <= payload.length) {
            long offset = reply.getLong(at + 8);
            int length = reply.getInt(at + 16);
            int type = reply.getInt(at + 20);
            if (length <= 0 || length > 1024 || at + 24 + length > payload.length) {
                throw new MalformedReply("directory entry at byte " + at + " has a name of " + length + " bytes");
            }
            entries.add(new Dirent(new String(payload, at + 24, length, StandardCharsets.UTF_8), offset, type));
            at += (24 + length + 7) & ~7;
        }
        return entries;
    }

    /** A reply that does not follow the protocol. */
    static final class MalformedReply extends java.io.IOException {
        private static final long serialVersionUID = 1L;

        MalformedReply(String message) {
            super(message);
        }
    }
}
