package org.kmview.core.internal.dispatch;

/**
 * kmview's management calls: syscall numbers no kernel assigns, so outside a view they fail
 * with ENOSYS. C side: native/src/kmview_abi.h (KMVIEW_SYS_*); change both ends together.
 */
public final class ManagementCall {

    /** KMVIEW_SYS_BASE: the highest reserved number. */
    public static final int BASE = -19200;
    /** KMVIEW_SYS_COUNT: the reserved numbers are BASE - COUNT + 1 .. BASE. */
    public static final int COUNT = 32;
    /** KMVIEW_SYS_PING: returns kmview's pid, the view's server id. */
    public static final int PING = BASE;
    /** KMVIEW_SYS_GET_VIEWNAME(buf, size): copies the NUL-terminated name, returns its length plus one. */
    public static final int GET_VIEWNAME = BASE - 1;
    /** KMVIEW_SYS_SET_VIEWNAME(name): sets the name; an empty string removes it. */
    public static final int SET_VIEWNAME = BASE - 2;
    /** KMVIEW_SYS_VIEWID: returns the view id. */
    public static final int VIEWID = BASE - 3;
    /** KMVIEW_SYS_ADD_SERVICE(spec, flags): loads a service; flag 1 makes it permanent. */
    public static final int ADD_SERVICE = BASE - 4;
    /** KMVIEW_SYS_DEL_SERVICE(name): removes a service. */
    public static final int DEL_SERVICE = BASE - 5;
    /** KMVIEW_SYS_LIST_SERVICES(buf, size): copies "NAME: description" lines, returns their length plus one. */
    public static final int LIST_SERVICES = BASE - 6;
    /** KMVIEW_SYS_MOV_SERVICE(name, position): moves a service in the precedence order. */
    public static final int MOV_SERVICE = BASE - 7;
    /** Flag of ADD_SERVICE: the service can never be removed. */
    public static final long ADD_PERMANENT = 1;

    private ManagementCall() {
    }

    /** Returns whether {@code nr} is in the reserved range. */
    public static boolean isReserved(int nr) {
        return nr <= BASE && nr > BASE - COUNT;
    }
}
