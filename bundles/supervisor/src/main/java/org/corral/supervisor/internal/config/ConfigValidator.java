package org.corral.supervisor.internal.config;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Supplier;

import org.corral.api.CommandSpec;
import org.corral.api.DaemonConfigValidator;
import org.corral.api.DaemonSpec;
import org.corral.api.InvalidCommandException;
import org.corral.api.PreStart;
import org.corral.api.ProgramNotFoundException;
import org.corral.supervisor.internal.daemon.DaemonSupervisor;
import org.corral.supervisor.internal.Core;
import org.corral.supervisor.internal.config.DaemonConfigParser.Result;
import org.corral.supervisor.internal.daemon.DaemonRegistry;
import org.corral.supervisor.internal.daemon.OutputBudget;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;

/**
 * {@link DaemonConfigValidator}: {@link DaemonConfigParser} (the checks of a {@code .cfg} file), then, for a
 * valid configuration, the checks the engine makes when the daemon is created (program found and executable,
 * user, groups and working directory exist), with the words {@link DaemonComponent} logs.
 */
@Component(service = DaemonConfigValidator.class)
public final class ConfigValidator implements DaemonConfigValidator {

    @Reference
    private Core core;

    private final Consumer<CommandSpec> system;
    private final Supplier<OutputBudget> budget;

    /** The service: checks programs against the system with the supervisor's engine, and its output budgets. */
    public ConfigValidator() {
        this.system = spec -> core.engine().validate(spec);
        this.budget = () -> DaemonRegistry.of(core.engine()).memory().budget();
    }

    /**
     * @param system checks a program against the system (throws {@link ProgramNotFoundException} or
     *     {@link InvalidCommandException}); a no-op checks the configuration only
     */
    public ConfigValidator(Consumer<CommandSpec> system) {
        this.system = system;
        this.budget = () -> OutputBudget.DEFAULT;
    }

    @Override
    public Validation validate(Map<String, ?> properties) {
        Result r = DaemonConfigParser.parse(properties, budget.get());
        List<Problem> errors = convert(r.errors());
        if (r.ok()) {
            DaemonSpec spec = r.spec().orElseThrow();
            try {
                system.accept(spec.command());
                spec.beforeStart().flatMap(PreStart::command).ifPresent(hook -> {
                    try {
                        system.accept(hook);
                    } catch (ProgramNotFoundException e) {
                        throw new DaemonSupervisor.PreStartNotFoundException(e);
                    }
                });
            } catch (ProgramNotFoundException e) {
                errors.add(convert(DaemonConfigParser.programNotFound(spec, e)));
            } catch (InvalidCommandException e) {
                errors.add(new Problem("", e.getMessage()));
            }
        }
        return new Validation(r.name(), errors, convert(r.warnings()));
    }

    static List<Problem> convert(List<DaemonConfigParser.Problem> problems) {
        List<Problem> out = new ArrayList<>();
        for (DaemonConfigParser.Problem p : problems) {
            out.add(convert(p));
        }
        return out;
    }

    private static Problem convert(DaemonConfigParser.Problem p) {
        return new Problem(p.key(), p.toString());
    }
}
