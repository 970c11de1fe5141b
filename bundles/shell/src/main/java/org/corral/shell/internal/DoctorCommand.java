package org.corral.shell.internal;

import java.util.List;
import java.util.Optional;

import org.apache.karaf.shell.api.action.Action;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Reference;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.corral.api.SupervisorStatus;
import org.corral.api.SupervisorStatus.Finding;
import org.corral.api.SupervisorStatus.Severity;

/**
 * {@code corral:doctor}: is this machine set up for Corral, and what to do where it is not. The checks are the
 * supervisor's ({@link SupervisorStatus#doctor()}); this command prints them.
 */
@Command(scope = "corral", name = "doctor", description = "Checks what Corral needs here: the supervisor and its"
        + " containment mode, the native helper for this architecture and its fragment, where programs go by default"
        + " (the default cgroup base, or why there is none), the cgroup2 mount, which"
        + " controllers the kernel offers and whether they reach Karaf's cgroup. Prints the fix for each problem.")
@Service
public class DoctorCommand implements Action {

    @Reference(optional = true)
    SupervisorStatus status;

    @Override
    public Object execute() throws Exception {
        List<Finding> findings = status != null ? status.doctor() : List.of(NO_SUPERVISOR);
        for (Finding f : findings) {
            System.out.println(line(f));
        }
        long fails = findings.stream().filter(f -> f.severity() == Severity.FAIL).count();
        long warns = findings.stream().filter(f -> f.severity() == Severity.WARN).count();
        System.out.println(fails == 0 && warns == 0 ? "corral: all checks passed"
                : "corral: " + fails + (fails == 1 ? " problem, " : " problems, ") + warns
                        + (warns == 1 ? " warning" : " warnings"));
        return null;
    }

    /** What the doctor says when the supervisor is not running (no one to ask). */
    static final Finding NO_SUPERVISOR = new Finding(Severity.FAIL, "supervisor",
            "the Corral supervisor is not running (no SupervisorStatus service)",
            Optional.of("feature:install corral, then check bundle:list | grep -i corral and log:display for errors"));

    /** One finding as the console prints it: a tag, the subject in a column, the detail, the fix below. */
    static String line(Finding f) {
        String tag = f.severity() == Severity.OK ? "[ok]  " : f.severity() == Severity.WARN ? "[warn]" : "[FAIL]";
        String s = tag + " " + String.format("%-18s", f.subject()) + " " + f.detail();
        return f.fix().map(fix -> s + "\n       " + String.format("%-18s", "") + " fix: " + fix).orElse(s);
    }
}
