package org.kmview.core.internal.dispatch;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.mockito.Mockito.mock;

import org.junit.jupiter.api.Test;
import org.kmview.core.internal.nativeaccess.Libc;

/**
 * The credential rules of secure mode, against what the kernel does for set*id (kernel/sys.c):
 * a thread whose effective uid is 0 may set any id, any other may only move between its own.
 */
class SecureModeTest {

    private static final long EPERM = -1;
    private static final long EINVAL = -22;

    private static SecureMode.Credentials user(int real, int effective, int saved) {
        SecureMode.Credentials ids = new SecureMode.Credentials();
        ids.realUid = real;
        ids.effectiveUid = effective;
        ids.savedUid = saved;
        ids.fsUid = effective;
        return ids;
    }

    private static int[] uids(SecureMode.Credentials ids) {
        return new int[] {ids.realUid, ids.effectiveUid, ids.savedUid, ids.fsUid};
    }

    @Test
    void newThreadStartsAsRoot() {
        SecureMode secure = new SecureMode(mock(Libc.class));

        SecureMode.Credentials ids = secure.credentials(42);

        assertArrayEquals(new int[] {0, 0, 0, 0}, uids(ids));
        assertArrayEquals(new int[] {0}, ids.groups);
    }

    @Test
    void childInheritsCopy() {
        SecureMode secure = new SecureMode(mock(Libc.class));
        secure.credentials(1).effectiveUid = 500;

        secure.inherit(1, 2);
        secure.credentials(2).effectiveUid = 600;

        assertEquals(500, secure.credentials(1).effectiveUid);
        assertEquals(600, secure.credentials(2).effectiveUid);
    }

    @Test
    void setuidByRootSetsAll() {
        SecureMode.Credentials ids = user(0, 0, 0);

        assertEquals(0, SecureMode.setUid(ids, 1000, true));
        assertArrayEquals(new int[] {1000, 1000, 1000, 1000}, uids(ids));
    }

    @Test
    void setuidUnprivilegedToRealOrSaved() {
        SecureMode.Credentials ids = user(1000, 2000, 3000);

        assertEquals(0, SecureMode.setUid(ids, 3000, true));
        assertArrayEquals(new int[] {1000, 3000, 3000, 3000}, uids(ids));
        assertEquals(0, SecureMode.setUid(ids, 1000, true));
        assertArrayEquals(new int[] {1000, 1000, 3000, 1000}, uids(ids));
        assertEquals(EPERM, SecureMode.setUid(ids, 2000, true));
        assertEquals(EINVAL, SecureMode.setUid(ids, -1, true));
    }

    @Test
    void setreuidSavedFollowsEffective() {
        SecureMode.Credentials changedReal = user(1000, 1000, 1000);
        SecureMode.Credentials otherEffective = user(0, 0, 0);
        SecureMode.Credentials effectiveToReal = user(1000, 0, 0);

        assertEquals(0, SecureMode.setReal(changedReal, 1000, -1, true));
        assertEquals(0, SecureMode.setReal(otherEffective, -1, 500, true));
        assertEquals(0, SecureMode.setReal(effectiveToReal, -1, 1000, true));

        assertArrayEquals(new int[] {1000, 1000, 1000, 1000}, uids(changedReal));
        assertArrayEquals(new int[] {0, 500, 500, 500}, uids(otherEffective));
        assertArrayEquals(new int[] {1000, 1000, 0, 1000}, uids(effectiveToReal));
    }

    @Test
    void setreuidUnprivilegedLimits() {
        SecureMode.Credentials ids = user(1000, 2000, 3000);

        assertEquals(EPERM, SecureMode.setReal(ids, 3000, -1, true));
        assertEquals(EPERM, SecureMode.setReal(ids, -1, 4000, true));
        assertEquals(0, SecureMode.setReal(ids, 2000, 3000, true));
        assertArrayEquals(new int[] {2000, 3000, 3000, 3000}, uids(ids));
    }

    @Test
    void setresuidKeepsUnchangedIds() {
        SecureMode.Credentials ids = user(1000, 0, 0);

        assertEquals(0, SecureMode.setAll(ids, -1, 1000, -1, true));
        assertArrayEquals(new int[] {1000, 1000, 0, 1000}, uids(ids));
        assertEquals(0, SecureMode.setAll(ids, -1, 0, -1, true));
        assertEquals(0, ids.effectiveUid);
        assertEquals(0, SecureMode.setAll(ids, 5, 5, 5, true));
        assertEquals(EPERM, SecureMode.setAll(ids, -1, 0, -1, true));
        assertArrayEquals(new int[] {5, 5, 5, 5}, uids(ids));
    }

    @Test
    void setfsuidReturnsOldId() {
        SecureMode.Credentials ids = user(1000, 1000, 1000);

        assertEquals(1000, SecureMode.setFs(ids, 0, true));
        assertEquals(1000, ids.fsUid);
        assertEquals(1000, SecureMode.setFs(ids, -1, true));
    }

    @Test
    void gidRulesUseEffectiveUid() {
        SecureMode.Credentials root = user(0, 0, 0);
        SecureMode.Credentials plain = user(1000, 1000, 1000);
        plain.realGid = 100;
        plain.effectiveGid = 100;
        plain.savedGid = 100;

        assertEquals(0, SecureMode.setUid(root, 50, false));
        assertEquals(EPERM, SecureMode.setUid(plain, 50, false));
        assertEquals(50, root.effectiveGid);
        assertEquals(50, root.fsGid);
        assertEquals(0, root.effectiveUid);
    }

    @Test
    void hostUserShowsAsRoot() {
        SecureMode secure = new SecureMode(mock(Libc.class), 1001, 1002);

        assertArrayEquals(new long[] {0, 0}, secure.viewOwner(new long[] {8, 1, 77, 1001, 1002}));
        assertArrayEquals(new long[] {6, 12}, secure.viewOwner(new long[] {8, 1, 78, 6, 12}));
    }

    @Test
    void chownRulesWithoutCapability() {
        SecureMode.Credentials ids = user(500, 500, 500);
        ids.fsGid = 600;
        ids.groups = new int[] {700};
        long[] own = {500, 600};
        long[] others = {0, 0};

        assertEquals(true, SecureMode.chownPermitted(ids, own, -1, 700));
        assertEquals(true, SecureMode.chownPermitted(ids, own, 500, 600));
        assertEquals(true, SecureMode.chownPermitted(ids, others, -1, -1));
        assertEquals(false, SecureMode.chownPermitted(ids, own, -1, 800));
        assertEquals(false, SecureMode.chownPermitted(ids, own, 0, -1));
        assertEquals(false, SecureMode.chownPermitted(ids, others, -1, 700));
    }

    @Test
    void deviceNumbersDecodeAsGlibc() {
        long device = StatResults.encodeDevice(259, 70000);

        assertEquals(259, StatResults.majorOf(device));
        assertEquals(70000, StatResults.minorOf(device));
    }
}
