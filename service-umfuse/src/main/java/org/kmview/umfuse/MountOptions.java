package org.kmview.umfuse;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.OptionalLong;

import org.kmview.spi.Errno;
import org.kmview.spi.Options;
import org.kmview.spi.ServiceException;

/**
 * The {@code -o} options of one umfuse mount.
 *
 * @param access {@code ro}, {@code rw}, or empty for the format's default
 * @param excepts the subtrees left to what lies below the mount, relative to the mount point
 * @param merge whether a path missing in the image shows what lies below the mount
 * @param uid the owner to give every node, if {@code uid=} was given
 * @param gid the group to give every node, if {@code gid=} was given
 * @param fileMode the permission bits to give every regular file, if {@code mode=} was given
 * @param umask the permission bits to clear on every node, if {@code umask=} was given
 * @param debug whether events go to the view's debug log
 * @param provider the URI scheme of the provider of a {@code umfusenio} mount
 */
record MountOptions(Optional<Boolean> access, List<String> excepts, boolean merge, OptionalLong uid,
                    OptionalLong gid, OptionalInt fileMode, OptionalInt umask, boolean debug,
                    Optional<String> provider) {

    private static final String VALID = "ro, rw, except=PATH, merge, uid=N, gid=N, mode=OCTAL, umask=OCTAL, "
            + "debug and, for umfusenio, provider=SCHEME";

    /**
     * Parses the options of a mount of {@code typeName} at {@code mountPoint}.
     *
     * @throws ServiceException EINVAL naming the option if it is unknown, lacks or has a needless
     *         value, or has an invalid value
     */
    static MountOptions parse(String typeName, Format format, String mountPoint, Options options)
            throws ServiceException {
        Optional<Boolean> access = Optional.empty();
        for (String name : options.names()) {
            switch (name) {
                case "ro", "rw", "merge", "debug" -> requireFlag(typeName, options, name);
                case "except", "uid", "gid", "mode", "umask" -> requireValue(typeName, options, name);
                case "provider" -> {
                    requireValue(typeName, options, name);
                    if (format != Format.NIO) {
                        throw invalid(typeName + " option provider= applies only to umfusenio");
                    }
                }
                default -> throw invalid("unknown " + typeName + " option \"" + name + "\"; valid options are "
                        + VALID);
            }
        }
        if (options.has("ro") && options.has("rw")) {
            throw invalid(typeName + " options ro and rw exclude each other; give one");
        }
        if (options.has("ro")) {
            access = Optional.of(false);
        } else if (options.has("rw")) {
            if (!format.writable()) {
                throw invalid(typeName + " is read-only: option rw is not supported; omit it or give ro");
            }
            access = Optional.of(true);
        }
        if (format == Format.NIO && !options.has("provider")) {
            throw invalid(typeName + " needs -o provider=SCHEME, for example provider=jar for a zip file");
        }

        List<String> excepts = new ArrayList<>();
        for (String except : options.values("except")) {
            excepts.add(relativeExcept(typeName, mountPoint, except));
        }
        return new MountOptions(access, List.copyOf(excepts), options.has("merge"),
                number(typeName, options, "uid"), number(typeName, options, "gid"),
                octal(typeName, options, "mode"), octal(typeName, options, "umask"),
                options.has("debug"), options.value("provider"));
    }

    /** Returns whether the mount is read-write, given whether the source can be written. */
    boolean readWrite(boolean defaultReadWrite) {
        return access.orElse(defaultReadWrite);
    }

    /** Returns whether {@code relative} lies in an {@code except=} subtree. */
    boolean excepted(String relative) {
        for (String except : excepts) {
            if (except.isEmpty() || relative.equals(except) || relative.startsWith(except + "/")) {
                return true;
            }
        }
        return false;
    }

    private static void requireFlag(String typeName, Options options, String name) throws ServiceException {
        if (!options.value(name).orElse("").isEmpty()) {
            throw invalid(typeName + " option " + name + " takes no value, got \"" + name + "="
                    + options.value(name).orElse("") + "\"");
        }
    }

    private static void requireValue(String typeName, Options options, String name) throws ServiceException {
        for (String value : options.values(name)) {
            if (value.isEmpty()) {
                throw invalid(typeName + " option " + name + " needs a value: " + name + "=VALUE");
            }
        }
    }

    /** Turns an {@code except=} path, relative to the mount point or absolute below it, into a relative path. */
    private static String relativeExcept(String typeName, String mountPoint, String except) throws ServiceException {
        String relative = except;
        if (except.startsWith("/")) {
            String prefix = mountPoint.endsWith("/") ? mountPoint : mountPoint + "/";
            if (except.equals(mountPoint)) {
                relative = "";
            } else if (except.startsWith(prefix)) {
                relative = except.substring(prefix.length());
            } else {
                throw invalid(typeName + " option except=" + except + " is not below the mount point "
                        + mountPoint + "; give a path below it or relative to it");
            }
        }
        List<String> parts = new ArrayList<>();
        for (String part : relative.split("/")) {
            if (part.equals("..")) {
                throw invalid(typeName + " option except=" + except + " contains \"..\"; give a path below "
                        + mountPoint);
            }
            if (!part.isEmpty() && !part.equals(".")) {
                parts.add(part);
            }
        }
        return String.join("/", parts);
    }

    private static OptionalLong number(String typeName, Options options, String name) throws ServiceException {
        Optional<String> value = options.value(name);
        if (value.isEmpty()) {
            return OptionalLong.empty();
        }
        try {
            long number = Long.parseLong(value.get());
            if (number < 0 || number > 0xFFFF_FFFEL) {
                throw new NumberFormatException();
            }
            return OptionalLong.of(number);
        } catch (NumberFormatException e) {
            throw invalid(typeName + " option " + name + "=" + value.get()
                    + " is invalid: expected a numeric id from 0 to 4294967294");
        }
    }

    private static OptionalInt octal(String typeName, Options options, String name) throws ServiceException {
        Optional<String> value = options.value(name);
        if (value.isEmpty()) {
            return OptionalInt.empty();
        }
        try {
            int bits = Integer.parseInt(value.get(), 8);
            if (bits < 0 || bits > 07777) {
                throw new NumberFormatException();
            }
            return OptionalInt.of(bits);
        } catch (NumberFormatException e) {
            throw invalid(typeName + " option " + name + "=" + value.get()
                    + " is invalid: expected octal permission bits from 0 to 7777, such as 644");
        }
    }

    private static ServiceException invalid(String message) {
        return new ServiceException(Errno.EINVAL, message);
    }
}
