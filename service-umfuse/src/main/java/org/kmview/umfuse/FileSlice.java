package org.kmview.umfuse;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/** An input stream over {@code length} bytes of a file from {@code offset}, with its own channel. */
final class FileSlice extends InputStream {

    private final FileChannel channel;
    private long position;
    private final long end;

    private FileSlice(FileChannel channel, long offset, long length) {
        this.channel = channel;
        this.position = offset;
        this.end = offset + length;
    }

    /** Opens the slice; reading past the end of the file ends the stream early. */
    static InputStream open(Path file, long offset, long length) throws IOException {
        return new FileSlice(FileChannel.open(file, StandardOpenOption.READ), offset, length);
    }

    @Override
    public int read() throws IOException {
        byte[] singleByte = new byte[1];
        return read(singleByte, 0, 1) < 0 ? -1 : singleByte[0] & 0xFF;
    }

    @Override
    public int read(byte[] buffer, int offset, int length) throws IOException {
        if (length == 0) {
            return 0;
        }
        long remaining = end - position;
        if (remaining <= 0) {
            return -1;
        }
        int count = (int) Math.min(length, remaining);
        int n = channel.read(ByteBuffer.wrap(buffer, offset, count), position);
        if (n > 0) {
            position += n;
        }
        return n;
    }

    @Override
    public void close() throws IOException {
        channel.close();
    }
}
