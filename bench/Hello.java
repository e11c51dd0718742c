/** Prints one line, as the bare-JVM baseline for kmview's start-up time. */
public class Hello {
    public static void main(String[] args) {
        System.out.println("hello");
    }
}
