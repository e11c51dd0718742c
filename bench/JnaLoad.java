/**
 * Loads kmview's native access, JNA and the C functions kmview binds, then prints one line: the
 * part of kmview's start-up that no change to kmview's own code can remove. Runs on the
 * distribution's runtime image, whose boot layer contains kmview.core.
 */
public class JnaLoad {
    public static void main(String[] args) {
        org.kmview.core.NativeAccess.load();
        System.out.println("loaded");
    }
}
