import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import java.io.PrintWriter;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;

/** Runs the named test classes with the JUnit Platform launcher (the GPU machine has no Maven); exit 1 on failure. */
public class RunTests {
    public static void main(String[] args) throws Exception {
        var b = LauncherDiscoveryRequestBuilder.request();
        for (String c : args) b.selectors(selectClass(Class.forName(c)));
        LauncherDiscoveryRequest req = b.build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener summary = new SummaryGeneratingListener();
        launcher.execute(req, summary);
        PrintWriter out = new PrintWriter(System.out, true);
        summary.getSummary().printTo(out);
        summary.getSummary().printFailuresTo(out, 30);
        long bad = summary.getSummary().getTotalFailureCount() + summary.getSummary().getTestsAbortedCount();
        System.exit(bad == 0 && summary.getSummary().getTestsSucceededCount() > 0 ? 0 : 1);
    }
}
