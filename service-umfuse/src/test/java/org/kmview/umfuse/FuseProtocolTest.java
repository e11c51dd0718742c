package org.kmview.umfuse;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;

/** The layouts of fuse_kernel.h that requests are built with and replies parsed with. */
class FuseProtocolTest {

    private static ByteBuffer buffer(int size) {
        return ByteBuffer.allocate(size).order(ByteOrder.nativeOrder());
    }

    /** Appends one struct fuse_dirent, padded to 8 bytes. */
    private static void dirent(ByteBuffer out, long ino, long offset, int type, String name) {
        byte[] bytes = name.getBytes(StandardCharsets.UTF_8);
        out.putLong(ino).putLong(offset).putInt(bytes.length).putInt(type).put(bytes);
        while (out.position() % 8 != 0) {
            out.put((byte) 0);
        }
    }

    @Test
    void direntsParsePaddedNames() throws Exception {
        ByteBuffer reply = buffer(104);
        dirent(reply, 1, 1, 4, ".");
        dirent(reply, 12, 2, 8, "a.txt");
        dirent(reply, 13, 3, 4, "sub-directory");

        List<FuseProtocol.Dirent> entries = FuseProtocol.dirents(java.util.Arrays.copyOf(reply.array(),
                reply.position()));

        assertEquals(List.of(new FuseProtocol.Dirent(".", 1, 4), new FuseProtocol.Dirent("a.txt", 2, 8),
                new FuseProtocol.Dirent("sub-directory", 3, 4)), entries);
    }

    @Test
    void direntsPlusCarryLookupReplies() throws Exception {
        ByteBuffer reply = buffer(2 * (FuseProtocol.ENTRY_OUT + 32));
        reply.putLong(0, 21);
        reply.putInt(100, 0100600);
        reply.position(FuseProtocol.ENTRY_OUT);
        dirent(reply, 21, 1, 8, "file");
        int second = reply.position();
        reply.position(second + FuseProtocol.ENTRY_OUT);
        dirent(reply, 22, 2, 4, "dir");

        List<FuseProtocol.Dirent> entries = FuseProtocol.direntsPlus(java.util.Arrays.copyOf(reply.array(),
                reply.position()));

        assertEquals(2, entries.size());
        assertEquals("file", entries.get(0).name());
        assertEquals(21, entries.get(0).entry().nodeId());
        assertEquals(0100600, entries.get(0).entry().attr().mode());
        assertEquals("dir", entries.get(1).name());
        assertEquals(null, entries.get(1).entry(), "node id 0: the daemon gave no lookup");
    }

    @Test
    void direntNameBeyondReplyIsMalformed() {
        ByteBuffer reply = buffer(32);
        reply.putLong(5).putLong(1).putInt(40).putInt(8);

        assertThrows(FuseProtocol.MalformedReply.class, () -> FuseProtocol.dirents(reply.array()));
    }

    @Test
    void entryReplyGivesNodeAndAttributes() throws Exception {
        ByteBuffer reply = buffer(FuseProtocol.ENTRY_OUT);
        reply.putLong(0, 42);
        reply.putLong(40, 1234).putLong(48, 5000).putLong(64, 1_700_000_000L).putLong(72, 1_700_000_100L);
        reply.putInt(88, 7).putInt(92, 9);
        reply.putInt(100, 0100644).putInt(104, 2).putInt(108, 1000).putInt(112, 100);

        FuseProtocol.Entry entry = FuseProtocol.Entry.parse(reply.array());

        assertEquals(42, entry.nodeId());
        assertEquals(new FuseProtocol.Attr(1234, 5000, 1_700_000_000_000_000_007L, 1_700_000_100_000_000_009L,
                0100644, 2, 1000, 100), entry.attr());
    }

    @Test
    void shortEntryReplyIsMalformed() {
        assertThrows(FuseProtocol.MalformedReply.class, () -> FuseProtocol.Entry.parse(new byte[64]));
    }

    @Test
    void statfsReplyBecomesFileSystemStats() throws Exception {
        ByteBuffer reply = buffer(80);
        reply.putLong(7677).putLong(6463).putLong(6054).putLong(2048).putLong(2031);
        reply.putInt(1024).putInt(255).putInt(0);

        org.kmview.spi.FileSystemStats stats = FuseProtocol.statfs(reply.array());

        assertEquals(new org.kmview.spi.FileSystemStats(0x65735546L, 1024, 7677, 6463, 6054, 2048, 2031, 255, 1024),
                stats);
    }

    @Test
    void renameBodyHasNewParentThenNames() {
        ByteBuffer expected = buffer(8 + 4 + 4);
        expected.putLong(9).put("old".getBytes(StandardCharsets.UTF_8)).put((byte) 0)
                .put("new".getBytes(StandardCharsets.UTF_8)).put((byte) 0);

        assertArrayEquals(expected.array(), FuseProtocol.rename(9, "old", "new"));
    }

    @Test
    void setattrPutsFieldsAtKernelOffsets() {
        ByteBuffer body = ByteBuffer.wrap(FuseProtocol.setattr(FuseProtocol.FATTR_MODE | FuseProtocol.FATTR_MTIME,
                0, 0640, 0, 0, 0, 1_500_000_000_250_000_000L)).order(ByteOrder.nativeOrder());

        assertEquals(88, body.capacity());
        assertEquals(FuseProtocol.FATTR_MODE | FuseProtocol.FATTR_MTIME, body.getInt(0));
        assertEquals(1_500_000_000L, body.getLong(40));
        assertEquals(250_000_000, body.getInt(60));
        assertEquals(0640, body.getInt(68));
    }

    @Test
    void writeBodyCarriesOffsetSizeAndData() {
        byte[] data = "abcdef".getBytes(StandardCharsets.UTF_8);

        ByteBuffer body = ByteBuffer.wrap(FuseProtocol.write(77, 4096, data, 4)).order(ByteOrder.nativeOrder());

        assertEquals(44, body.capacity());
        assertEquals(77, body.getLong(0));
        assertEquals(4096, body.getLong(8));
        assertEquals(4, body.getInt(16));
        assertEquals("abcd", new String(body.array(), 40, 4, StandardCharsets.UTF_8));
    }
}
