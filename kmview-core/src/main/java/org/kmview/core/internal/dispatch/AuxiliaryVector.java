package org.kmview.core.internal.dispatch;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

import org.kmview.core.internal.tracer.SyscallStop;

/**
 * Edits the auxiliary vector of a program that was just exec'd, before its first instruction,
 * as binfmt_misc would have built it: {@code AT_FLAGS} with {@code AT_FLAGS_PRESERVE_ARGV0} for
 * the P flag, and an {@code AT_EXECFD} entry for the O flag. It also gives {@code AT_EXECFN} the
 * path the execve was given where kmview gave the kernel another one.
 *
 * <p>The initial stack is {@code argc, argv[], NULL, envp[], NULL, auxv pairs, AT_NULL}. A new
 * pair goes just before AT_NULL: everything from argc up moves 16 bytes down, so the stack stays
 * 16-byte aligned, and the stack pointer follows it.
 */
final class AuxiliaryVector {

    static final long AT_NULL = 0;
    static final long AT_EXECFD = 2;
    static final long AT_FLAGS = 8;
    static final long AT_FLAGS_PRESERVE_ARGV0 = 1;
    static final long AT_EXECFN = 31;
    /** More entries than any kernel sets up: a walk that finds no AT_NULL by then gives up. */
    private static final int MAX_WORDS = 1 << 20;

    private final SyscallStop stop;
    private final long stackPointer;
    private ByteBuffer words;
    private long wordsAddress;

    private AuxiliaryVector(SyscallStop stop) {
        this.stop = stop;
        this.stackPointer = stop.stackPointer();
    }

    /**
     * Edits the vector of the program at {@code stop}, an exec stop.
     *
     * @param preserveArgv0 sets AT_FLAGS_PRESERVE_ARGV0 in AT_FLAGS
     * @param execFd the descriptor to add as AT_EXECFD, or -1 for none
     * @return whether the stack could be read and written
     */
    static boolean edit(SyscallStop stop, boolean preserveArgv0, long execFd) {
        return new AuxiliaryVector(stop).apply(preserveArgv0, execFd);
    }

    private boolean apply(boolean preserveArgv0, long execFd) {
        Entries entries = find(AT_FLAGS);
        if (entries == null) {
            return false;
        }
        int atNull = entries.atNull();
        int flags = entries.value();
        Long flagsValue = flags < 0 ? Long.valueOf(0) : word(flags);
        if (flagsValue == null) {
            return false;
        }
        long newFlags = preserveArgv0 ? flagsValue | AT_FLAGS_PRESERVE_ARGV0 : flagsValue;
        if (execFd < 0) {
            return flags < 0 || newFlags == flagsValue || writeWord(flags, newFlags);
        }

        byte[] moved = stop.read(stackPointer, atNull * 8);
        if (moved == null) {
            return false;
        }
        ByteBuffer block = ByteBuffer.wrap(moved).order(ByteOrder.nativeOrder());
        if (flags >= 0) {
            block.putLong(flags * 8, newFlags);
        }
        ByteBuffer pair = ByteBuffer.allocate(16).order(ByteOrder.nativeOrder());
        pair.putLong(AT_EXECFD).putLong(execFd);
        long newStackPointer = stackPointer - 16;
        if (!stop.write(newStackPointer, moved) || !stop.write(newStackPointer + atNull * 8L, pair.array())) {
            return false;
        }
        stop.setStackPointer(newStackPointer);
        return true;
    }

    /**
     * Makes AT_EXECFN of the program at {@code stop}, an exec stop, name {@code filename}, the
     * path its execve was given, where the kernel got a path that kmview rewrote. A name no
     * longer than the kernel's replaces it in place. A longer one goes just above the moved
     * block of argc, argv, envp and auxv, which moves down by the name's length rounded up to
     * 16 bytes, so the stack stays aligned.
     *
     * @return whether the stack could be read and written
     */
    static boolean showExecFilename(SyscallStop stop, String filename) {
        return new AuxiliaryVector(stop).replaceExecFilename(filename.getBytes(StandardCharsets.ISO_8859_1));
    }

    private boolean replaceExecFilename(byte[] name) {
        Entries entries = find(AT_EXECFN);
        if (entries == null) {
            return false;
        }
        int atNull = entries.atNull();
        int execFn = entries.value();
        if (execFn < 0) {
            return true;
        }
        Long address = word(execFn);
        if (address == null) {
            return false;
        }
        int kernelLength = stringLength(address);
        byte[] terminated = java.util.Arrays.copyOf(name, name.length + 1);
        if (kernelLength >= name.length) {
            return stop.write(address, terminated);
        }

        int blockLength = (atNull + 2) * 8;
        byte[] moved = stop.read(stackPointer, blockLength);
        if (moved == null) {
            return false;
        }
        long shift = (terminated.length + 15) & ~15L;
        long newStackPointer = stackPointer - shift;
        long nameAddress = newStackPointer + blockLength;
        ByteBuffer.wrap(moved).order(ByteOrder.nativeOrder()).putLong(execFn * 8, nameAddress);
        if (!stop.write(newStackPointer, moved) || !stop.write(nameAddress, terminated)) {
            return false;
        }
        stop.setStackPointer(newStackPointer);
        return true;
    }

    /**
     * Word indexes in the initial stack: the type word of the AT_NULL entry, and the value word of
     * the entry looked for, or -1 if there is none.
     */
    private record Entries(int atNull, int value) {
    }

    /** Finds AT_NULL and the entry of type {@code type}; returns null if the stack is unreadable. */
    private Entries find(long type) {
        int auxvStart = auxiliaryVectorStart();
        if (auxvStart < 0) {
            return null;
        }
        int value = -1;
        for (int i = auxvStart; i < MAX_WORDS; i += 2) {
            Long entryType = word(i);
            if (entryType == null) {
                return null;
            }
            if (entryType == AT_NULL) {
                return new Entries(i, value);
            }
            if (entryType == type) {
                value = i + 1;
            }
        }
        return null;
    }

    /** Returns the index of the first auxv word, past argc, argv and envp, or -1 if unreadable. */
    private int auxiliaryVectorStart() {
        Long argc = word(0);
        if (argc == null || argc < 0 || argc > MAX_WORDS) {
            return -1;
        }
        // Skip argv and its NULL, then envp up to its NULL.
        int index = (int) (1 + argc + 1);
        for (Long word = word(index); ; word = word(++index)) {
            if (word == null || index > MAX_WORDS) {
                return -1;
            }
            if (word == 0) {
                return index + 1;
            }
        }
    }

    /** Returns the length of the string at {@code address} in the program's memory, or -1 if unreadable. */
    private int stringLength(long address) {
        int length = 0;
        for (long at = address; length < 65536; ) {
            int chunk = (int) Math.min(4096, ((at | 4095) + 1) - at);
            byte[] raw = stop.read(at, chunk);
            if (raw == null) {
                return -1;
            }
            for (byte b : raw) {
                if (b == 0) {
                    return length;
                }
                length++;
            }
            at += chunk;
        }
        return -1;
    }

    /** Returns the word at {@code index} words above the stack pointer, or null if unreadable. */
    private Long word(int index) {
        long address = stackPointer + index * 8L;
        if (words == null || address < wordsAddress || address + 8 > wordsAddress + words.capacity()) {
            // Read to the end of the page at most, since the stack may end there.
            long pageEnd = (address | 4095) + 1;
            int length = (int) Math.max(8, Math.min(4096, pageEnd - address));
            byte[] raw = stop.read(address, length);
            if (raw == null) {
                raw = stop.read(address, 8);
            }
            if (raw == null) {
                return null;
            }
            words = ByteBuffer.wrap(raw).order(ByteOrder.nativeOrder());
            wordsAddress = address;
        }
        return words.getLong((int) (address - wordsAddress));
    }

    private boolean writeWord(int index, long value) {
        ByteBuffer raw = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder()).putLong(value);
        words = null;
        return stop.write(stackPointer + index * 8L, raw.array());
    }
}
