package org.corral.supervisor.internal.config.osgi;

import static org.corral.supervisor.internal.config.osgi.EmbeddedFelix.eventually;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Dictionary;
import java.util.HashSet;
import java.util.Hashtable;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;

import org.corral.supervisor.internal.config.DaemonConfigParser;
import org.corral.supervisor.internal.config.osgi.EmbeddedFelix.LogCapture;
import org.corral.supervisor.support.NoLeftovers;
import org.corral.supervisor.support.TestSupport;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.osgi.framework.Bundle;
import org.osgi.framework.Constants;
import org.osgi.framework.ServiceReference;
import org.osgi.framework.ServiceRegistration;
import org.osgi.service.cm.Configuration;
import org.osgi.service.cm.ConfigurationAdmin;
import org.osgi.service.event.Event;
import org.osgi.service.event.EventConstants;
import org.osgi.service.event.EventHandler;
import org.osgi.service.metatype.AttributeDefinition;
import org.osgi.service.metatype.MetaTypeService;
import org.osgi.service.metatype.ObjectClassDefinition;

/**
 * Daemons made from Config Admin factory configurations, in a real Felix framework with Felix SCR, Config
 * Admin, Event Admin and Metatype, and the built Corral bundles (api, cgroup, supervisor, x86_64 native
 * fragment). Each configuration is created as Felix fileinstall creates it for
 * {@code etc/org.corral.daemon-<name>.cfg}: the R7 factory configuration {@code org.corral.daemon~<name>}
 * with {@code felix.fileinstall.filename} set.
 */
@ExtendWith(NoLeftovers.class)
class DaemonConfigIT {

    private static EmbeddedFelix felix;
    private static ConfigurationAdmin cm;
    private static final List<Event> EVENTS = Collections.synchronizedList(new ArrayList<>());
    private static ServiceRegistration<EventHandler> handler;
    private final List<Configuration> created = new ArrayList<>();

    @BeforeAll
    static void boot() throws Exception {
        System.setProperty("corral.it.spawn", prog("spawn_grandchildren"));
        felix = new EmbeddedFelix();
        cm = felix.service(ConfigurationAdmin.class);
        Dictionary<String, Object> p = new Hashtable<>();
        p.put(EventConstants.EVENT_TOPIC, "org/corral/daemon/*");
        handler = felix.context().registerService(EventHandler.class, EVENTS::add, p);
    }

    @AfterAll
    static void shutdown() throws Exception {
        if (handler != null) {
            handler.unregister();
        }
        Path storage = felix.storage();
        felix.close();
        assertFalse(Files.exists(storage), "framework storage (with its helper copy) removed");
        assertEquals(List.of(), TestSupport.withCmdline(storage.toString()), "a helper or broker survived the framework");
        assertEquals(List.of(), TestSupport.tagged(TestSupport.TAG), "a program survived the framework");
    }

    @AfterEach
    void deleteConfigurations() throws Exception {
        for (Configuration c : created) {
            try {
                c.delete();
            } catch (IllegalStateException e) {
                // already deleted by the test
            }
        }
    }

    private static String prog(String name) {
        return TestSupport.prog(name);
    }

    /** The environment entry that marks the processes of daemon {@code name}. */
    private static String mark(String name) {
        return TestSupport.TAG_VAR + "=" + TestSupport.TAG + "." + name;
    }

    /** Creates (or replaces) the configuration {@code org.corral.daemon~<file>} as fileinstall would. */
    private Configuration config(String file, Map<String, Object> props) throws IOException {
        Configuration c = cm.getFactoryConfiguration(DaemonConfigParser.FACTORY_PID, file, "?");
        Hashtable<String, Object> p = new Hashtable<>(props);
        p.put(DaemonConfigParser.FILEINSTALL_FILENAME, "file:/opt/corral/etc/org.corral.daemon-" + file + ".cfg");
        if (!p.containsKey("env." + TestSupport.TAG_VAR)) {
            p.put("env." + TestSupport.TAG_VAR, TestSupport.TAG + "." + (props.containsKey("name") ? props.get("name") : file));
        }
        c.update(p);
        created.add(c);
        return c;
    }

    private static String ready(String name) {
        return "(&(objectClass=org.corral.api.Daemon)(daemon.name=" + name + ")(daemon.state=READY))";
    }

    private static long pid(ServiceReference<?> ref) {
        return (Long) ref.getProperty("daemon.pid");
    }

    /** Live processes whose environment holds exactly {@code entry}. */
    static List<Long> processesWith(String entry) {
        List<Long> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(Path.of("/proc"))) {
            for (Path p : ds) {
                String n = p.getFileName().toString();
                if (!n.chars().allMatch(Character::isDigit)) {
                    continue;
                }
                try {
                    String env = new String(Files.readAllBytes(p.resolve("environ")), StandardCharsets.UTF_8);
                    if (Arrays.asList(env.split("\0")).contains(entry) && TestSupport.alive(Long.parseLong(n))) {
                        out.add(Long.parseLong(n));
                    }
                } catch (IOException e) {
                    // gone
                }
            }
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
        return out;
    }

    private static List<String> events(String name) {
        List<String> out = new ArrayList<>();
        synchronized (EVENTS) {
            for (Event e : EVENTS) {
                if (name.equals(e.getProperty("daemon.name"))) {
                    out.add(e.getTopic().substring("org/corral/daemon/".length()));
                }
            }
        }
        return out;
    }

    /** An attribute of the MBean of daemon {@code name}. */
    private static Object jmx(String name, String attribute) throws Exception {
        return java.lang.management.ManagementFactory.getPlatformMBeanServer().getAttribute(
                new javax.management.ObjectName("org.corral:type=Daemon,name=" + name), attribute);
    }

    /** Waits (bounded) for an event of daemon {@code name} on {@code org/corral/daemon/<topic>}. */
    private static Event awaitEvent(String name, String topic) throws InterruptedException {
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (System.nanoTime() < deadline) {
            synchronized (EVENTS) {
                for (Event e : EVENTS) {
                    if (name.equals(e.getProperty("daemon.name")) && e.getTopic().equals("org/corral/daemon/" + topic)) {
                        return e;
                    }
                }
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + topic + " event of " + name + " (events: " + events(name) + ")");
    }

    /** Calls a public method through a public type that declares it (implementation classes may be hidden). */
    private static Object call(Object target, String method, Object... args) throws Exception {
        List<Class<?>> types = new ArrayList<>();
        for (Class<?> c = target.getClass(); c != null; c = c.getSuperclass()) {
            types.add(c);
            types.addAll(Arrays.asList(c.getInterfaces()));
        }
        for (Class<?> t : types) {
            if (!java.lang.reflect.Modifier.isPublic(t.getModifiers())) {
                continue;
            }
            for (Method m : t.getMethods()) {
                if (m.getName().equals(method) && m.getParameterCount() == args.length) {
                    return m.invoke(target, args);
                }
            }
        }
        throw new NoSuchMethodException(method + " on " + target.getClass());
    }

    // ------------------------------------------------------------------ tests

    /** The supervisor publishes org.corral.api.DaemonConfigValidator (called by reflection: types are not shared). */
    @Test
    void theValidatorServiceChecksAsTheConfigurationsAreChecked() throws Exception {
        Object ok = validate(Map.of("name", "checked", "command", prog("spawn_grandchildren"), "kill.grace", "1m 30s"));
        assertEquals(List.of(), call(ok, "errors"));
        assertEquals(java.util.Optional.of("checked"), call(ok, "name"));
        Object bad = validate(Map.of("name", "checked", "command", "/no/such/program", "kill.grace", "5",
                "env.TOKEN", new String[] {"s3cr3t", "x"}, "restart.dealy", "1s"));
        assertEquals(Set.of("env.TOKEN: an environment variable takes one value, not a list",
                "kill.grace = '5': a duration needs a unit: 5ms or 5s? (units: ms, s, m, h, d)"), texts(bad, "errors"));
        assertEquals(Set.of("restart.dealy: unknown key, ignored (did you mean restart.delay?)"), texts(bad, "warnings"));
        // a valid configuration whose program is missing: the engine's check, in the words the daemon would log
        Object missing = validate(Map.of("name", "checked", "command", "/no/such/program"));
        List<?> errors = (List<?>) call(missing, "errors");
        assertEquals(1, errors.size(), errors.toString());
        assertEquals("command", call(errors.get(0), "key"));
        assertTrue(errors.get(0).toString().startsWith("command = '/no/such/program': program /no/such/program"),
                errors.get(0).toString());
        assertFalse(felix.present("(daemon.name=checked)"), "checking starts nothing");
    }

    private static Object validate(Map<String, ?> props) throws Exception {
        org.osgi.util.tracker.ServiceTracker<Object, Object> t = new org.osgi.util.tracker.ServiceTracker<>(
                felix.context(), "org.corral.api.DaemonConfigValidator", null);
        t.open(true);
        try {
            Object v = t.waitForService(30_000);
            assertTrue(v != null, "no DaemonConfigValidator service within 30 s");
            return v.getClass().getMethod("validate", Map.class).invoke(v, props);
        } finally {
            t.close();
        }
    }

    private static Object call(Object target, String method) throws Exception {
        Method m = target.getClass().getMethod(method);
        m.setAccessible(true);
        return m.invoke(target);
    }

    private static Set<String> texts(Object validation, String which) throws Exception {
        Set<String> out = new HashSet<>();
        for (Object p : (List<?>) call(validation, which)) {
            out.add(p.toString());
        }
        return out;
    }

    @Test
    void metatypeDescribesEveryKey() throws Exception {
        MetaTypeService mts = felix.service(MetaTypeService.class);
        Bundle supervisor = felix.bundle("org.corral.supervisor");
        assertTrue(Arrays.asList(mts.getMetaTypeInformation(supervisor).getFactoryPids())
                .contains(DaemonConfigParser.FACTORY_PID));
        ObjectClassDefinition ocd = mts.getMetaTypeInformation(supervisor)
                .getObjectClassDefinition(DaemonConfigParser.FACTORY_PID, null);
        Set<String> ids = new TreeSet<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.ALL)) {
            ids.add(ad.getID());
            assertFalse(ad.getDescription() == null || ad.getDescription().isBlank(), ad.getID() + " has no description");
        }
        assertEquals(new TreeSet<>(DaemonConfigParser.KEYS), ids);
        Set<String> required = new HashSet<>();
        for (AttributeDefinition ad : ocd.getAttributeDefinitions(ObjectClassDefinition.REQUIRED)) {
            required.add(ad.getID());
        }
        assertEquals(Set.of("command"), required);
    }

    @Test
    void configurationIsADaemonEditedAndDeleted() throws Exception {
        Configuration c = config("web", Map.of("command", prog("spawn_grandchildren"), "args", "2 --wait",
                "ready.log", "^ready$"));
        ServiceReference<?> ref = felix.await(ready("web"));
        long first = pid(ref);
        List<Long> family = processesWith(mark("web"));
        assertEquals(3, family.size(), "the program and its 2 children: " + family);
        assertTrue(family.contains(first));

        // the helper was found through the x86_64 fragment and copied into the bundle's data area
        long helper = (Long) ref.getProperty("daemon.helper.pid");
        Path exe = Files.readSymbolicLink(Path.of("/proc/" + helper + "/exe"));
        assertTrue(exe.startsWith(felix.storage()), exe.toString());
        assertTrue(exe.toString().endsWith("helper-x86_64/corral-helper"), exe.toString());

        // a log level change is applied without a restart
        Hashtable<String, Object> p = new Hashtable<>();
        for (String k : Collections.list(c.getProperties().keys())) {
            p.put(k, c.getProperties().get(k));
        }
        p.put("log.stdout", "debug");
        c.update(p);
        LogCapture.await("Daemon 'web'", "reconfigured");
        assertEquals(first, pid(felix.await(ready("web"))));
        assertTrue(TestSupport.alive(first));

        // an argument change restarts the program
        p.put("args", "3 --wait");
        c.update(p);
        ServiceReference<?> again = felix.await("(&(daemon.name=web)(daemon.state=READY)(!(daemon.pid=" + first + ")))");
        assertTrue(TestSupport.cmdline(pid(again)).endsWith("3 --wait"), TestSupport.cmdline(pid(again)));
        for (long old : family) {
            assertFalse(TestSupport.alive(old), "the old program and children are gone: " + old);
        }
        eventually("4 processes of web", () -> processesWith(mark("web")).size() == 4);

        // deleting the configuration stops the daemon and every descendant
        c.delete();
        eventually("web's service unregistered", () -> !felix.present("(daemon.name=web)"));
        eventually("every process of web gone", () -> processesWith(mark("web")).isEmpty());
    }

    /**
     * Issue 11.3, "a .cfg deletion always ends the helper": the daemon's output is not consumed (its only
     * follower blocks its delivery lane, as a delivery thread that died used to), so its program is stuck in
     * write and its helper waits for credit. Deleting the configuration must still end the program and the
     * helper, within the kill grace plus the stop deadline's margin (10 s), and unregister the service.
     */
    @Test
    void deletingTheConfigurationOfADaemonStuckInWriteEndsItsHelper() throws Exception {
        Configuration c = config("stuck", Map.of("command", prog("print_a_lot"), "args", Long.toString(1L << 50),
                "kill.grace", "300ms", "log.stdout", "off"));
        ServiceReference<?> ref = felix.await(ready("stuck"));
        long pid = pid(ref);
        long helper = (Long) ref.getProperty("daemon.helper.pid");
        Object daemon = felix.service(ref);
        CountDownLatch release = new CountDownLatch(1);
        Consumer<String> blocking = line -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        };
        call(daemon, "followLines", 0, blocking);
        try {
            long before;
            long now = (Long) call(daemon, "stdoutBytes");
            do { // until the output stops moving: the program blocks in write
                before = now;
                Thread.sleep(300);
                now = (Long) call(daemon, "stdoutBytes");
            } while (now != before);
            assertTrue(TestSupport.alive(pid) && TestSupport.alive(helper));
            long t0 = System.nanoTime();
            c.delete();
            List<Long> left = TestSupport.awaitGone(List.of(pid, helper), 30_000);
            long ms = (System.nanoTime() - t0) / 1_000_000;
            assertEquals(List.of(), left, "program " + pid + " and helper " + helper + " still there " + ms
                    + " ms after the configuration was deleted");
            eventually("stuck's service unregistered", () -> !felix.present("(daemon.name=stuck)"));
            System.out.println("DaemonConfigIT: stuck daemon's program and helper gone " + ms
                    + " ms after the deletion");
        } finally {
            release.countDown();
        }
    }

    @Test
    void crashingProgramIsRestartedThenFailedWithEvents() throws Exception {
        config("crashy", Map.of("command", prog("crash_after_ms"), "args", new String[] {"20", "3"},
                "restart.delay", "10ms", "intensity", "2"));
        ServiceReference<?> ref = felix.await("(&(daemon.name=crashy)(daemon.state=FAILED))");
        assertEquals(null, ref.getProperty("daemon.pid"));
        Object daemon = felix.service(ref);
        assertEquals(2, call(daemon, "restarts"));
        eventually("the FAILED event", () -> events("crashy").contains("FAILED"));
        assertEquals(List.of("STARTED", "READY", "EXITED", "RESTARTING", "STARTED", "READY", "EXITED", "RESTARTING",
                "STARTED", "READY", "EXITED", "FAILED"), events("crashy"));
        synchronized (EVENTS) {
            for (Event e : EVENTS) {
                if ("crashy".equals(e.getProperty("daemon.name")) && e.getTopic().endsWith("EXITED")) {
                    assertEquals(3, e.getProperty("exit.code"));
                    assertTrue(e.getProperty("daemon.pid") instanceof Long);
                }
                if ("crashy".equals(e.getProperty("daemon.name")) && e.getTopic().endsWith("FAILED")) {
                    assertTrue(((String) e.getProperty("reason")).contains("intensity 2 per 1m exceeded"),
                            (String) e.getProperty("reason"));
                }
            }
        }
        LogCapture.await("ERROR", "org.corral.daemon.crashy", "FAILED: exited with code 3");
    }

    @Test
    void dependsOnWaitsForTheReadinessRegex() throws Exception {
        config("second", Map.of("command", "sh", "args", "-c 'echo second up; exec sleep 600'", "depends.on", "first"));
        LogCapture.await("org.corral.daemon.second", "waiting for first to be READY");
        assertFalse(felix.present("(&(daemon.name=second)(daemon.pid=*))"), "second must not run before first");
        config("first", Map.of("command", "sh", "args", "-c 'sleep 0.3; echo first is ready; exec sleep 600'",
                "ready.log", "is ready$"));
        felix.await(ready("second"));
        eventually("second's READY event", () -> events("second").contains("READY"));
        List<String> order = new ArrayList<>();
        synchronized (EVENTS) {
            for (Event e : EVENTS) {
                String n = (String) e.getProperty("daemon.name");
                if ("first".equals(n) || "second".equals(n)) {
                    order.add(n + ":" + e.getTopic().substring("org/corral/daemon/".length()));
                }
            }
        }
        assertTrue(order.indexOf("first:READY") >= 0 && order.indexOf("first:READY") < order.indexOf("second:STARTED"),
                order.toString());
        assertEquals(List.of("first:STARTED", "first:READY", "second:STARTED", "second:READY"), order);
    }

    @Test
    void malformedConfigurationIsOneClearErrorAndOthersKeepRunning() throws Exception {
        config("steady", Map.of("command", "sleep", "args", "600"));
        long steady = pid(felix.await(ready("steady")));
        config("bad", Map.of("command", "sleep", "args", "600", "restart", "sometimes", "cgroup.memory.max", "-5M",
                "colour", "blue"));
        String error = LogCapture.await("ERROR", "Daemon configuration /opt/corral/etc/org.corral.daemon-bad.cfg is invalid");
        assertTrue(error.contains("restart = 'sometimes': unknown restart policy"), error);
        assertTrue(error.contains("cgroup.memory.max = '-5M': a size cannot be negative"), error);
        assertTrue(error.endsWith("daemon 'bad' not started"), error);
        LogCapture.await("WARN", "org.corral.daemon-bad.cfg: colour: unknown key, ignored"); // the value is not shown
        config("missing", Map.of("command", "/no/such/program"));
        LogCapture.await("ERROR", "org.corral.daemon-missing.cfg is invalid: command = '/no/such/program'");
        assertEquals(steady, pid(felix.await(ready("steady"))));
        assertTrue(TestSupport.alive(steady));

        // issue 12.3: each refused configuration is a Daemon service in state INVALID, with its MBean and an event
        ServiceReference<?> bad = felix.await("(&(daemon.name=bad)(daemon.state=INVALID))");
        assertEquals("org.corral.daemon~bad", bad.getProperty("daemon.configuration"));
        assertFalse(bad.getProperty("daemon.pid") != null);
        String[] problems = (String[]) jmx("bad", "Problems");
        assertEquals(2, problems.length, Arrays.toString(problems));
        assertTrue(problems[0].startsWith("cgroup.memory.max = '-5M': a size cannot be negative")
                && problems[1].startsWith("restart = 'sometimes': unknown restart policy"), Arrays.toString(problems));
        assertEquals("INVALID", jmx("bad", "State"));
        assertEquals("/opt/corral/etc/org.corral.daemon-bad.cfg", jmx("bad", "ConfigurationFile"));
        assertTrue(Arrays.asList((String[]) jmx("bad", "ConfigurationKeys")).contains("colour = ****"));
        assertTrue(Arrays.asList((String[]) jmx("bad", "ConfigurationKeys")).contains("restart = sometimes"));
        felix.await("(&(daemon.name=missing)(daemon.state=INVALID))");
        assertTrue(((String[]) jmx("missing", "Problems"))[0].startsWith("command = '/no/such/program': program"
                + " /no/such/program does not exist"), Arrays.toString((String[]) jmx("missing", "Problems")));
        Event invalid = awaitEvent("bad", "INVALID");
        assertEquals("org.corral.daemon~bad", invalid.getProperty("daemon.configuration"));
        assertEquals("/opt/corral/etc/org.corral.daemon-bad.cfg", invalid.getProperty("daemon.configuration.file"));
        assertEquals(2, ((String[]) invalid.getProperty("problems")).length);

        // fixed, the INVALID service gives way to the daemon
        config("bad", Map.of("command", "sleep", "args", "600"));
        felix.await(ready("bad"));
        assertFalse(felix.present("(&(daemon.name=bad)(daemon.state=INVALID))"));
        assertEquals("READY", jmx("bad", "State"));
        assertEquals(0, ((String[]) jmx("bad", "Problems")).length);
    }

    /** Issue 12.3: an edit refused while the daemon runs: it runs on, and says what was refused. */
    @Test
    void aRefusedEditOfARunningDaemonIsShownOnIt() throws Exception {
        config("edited", Map.of("command", "sleep", "args", "600"));
        long pid = pid(felix.await(ready("edited")));
        config("edited", Map.of("command", "sleep", "args", "600", "kill.grace", "5"));
        Event e = awaitEvent("edited", "INVALID");
        assertEquals("kill.grace = '5': a duration needs a unit: 5ms or 5s? (units: ms, s, m, h, d)",
                ((String[]) e.getProperty("problems"))[0]);
        assertEquals(pid, pid(felix.await(ready("edited"))), "it runs on with its previous configuration");
        assertFalse(felix.present("(&(daemon.name=edited)(daemon.state=INVALID))"), "and is not listed twice");
        assertEquals("kill.grace = '5': a duration needs a unit: 5ms or 5s? (units: ms, s, m, h, d)",
                ((String[]) jmx("edited", "Problems"))[0]);
        config("edited", Map.of("command", "sleep", "args", "600", "kill.grace", "5s"));
        long deadline = System.nanoTime() + 20_000_000_000L;
        while (((String[]) jmx("edited", "Problems")).length > 0 && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals(0, ((String[]) jmx("edited", "Problems")).length, "a valid edit clears them");
    }

    @Test
    void duplicateNameIsRefusedUntilTheNameIsFree() throws Exception {
        Configuration a = config("dup-a", Map.of("name", "dup", "command", "sleep", "args", "600"));
        long first = pid(felix.await(ready("dup")));
        config("dup-b", Map.of("name", "dup", "command", "sleep", "args", "601"));
        String error = LogCapture.await("ERROR", "org.corral.daemon-dup-b.cfg is refused");
        assertTrue(error.contains("daemon name 'dup' of configuration /opt/corral/etc/org.corral.daemon-dup-b.cfg is"
                + " already used by configuration /opt/corral/etc/org.corral.daemon-dup-a.cfg"), error);
        assertEquals(first, pid(felix.await(ready("dup"))));
        // the refused one is listed too: an INVALID service of the same name, told apart by its configuration
        ServiceReference<?> refused = felix.await("(&(daemon.name=dup)(daemon.state=INVALID)"
                + "(daemon.configuration=org.corral.daemon~dup-b))");
        assertTrue(refused != null);
        javax.management.ObjectName on = new javax.management.ObjectName(
                "org.corral:type=Daemon,name=dup,configuration=\"org.corral.daemon~dup-b\"");
        assertTrue(((String[]) java.lang.management.ManagementFactory.getPlatformMBeanServer().getAttribute(on,
                "Problems"))[0].startsWith("name: daemon name 'dup' is taken by configuration"
                        + " /opt/corral/etc/org.corral.daemon-dup-a.cfg; this one starts when the name is free"));
        a.delete();
        ServiceReference<?> b = felix.await("(&(daemon.name=dup)(daemon.state=READY)(!(daemon.pid=" + first + ")))");
        assertTrue(TestSupport.cmdline(pid(b)).endsWith("601"), TestSupport.cmdline(pid(b)));
        assertFalse(TestSupport.alive(first));
        assertFalse(felix.present("(&(daemon.name=dup)(daemon.state=INVALID))"), "the INVALID service is gone");
        assertFalse(java.lang.management.ManagementFactory.getPlatformMBeanServer().isRegistered(on));
    }

    @Test
    void consumerBundleStoppedWhileItsProgramsRunLeavesNoSurvivor() throws Exception {
        String var = TestSupport.TAG_VAR;
        String value = TestSupport.TAG + ".consumer";
        System.setProperty("corral.it.env.name", var);
        System.setProperty("corral.it.env.value", value);
        Bundle consumer = felix.installBundle("org.corral.it.consumer", Map.of(
                Constants.BUNDLE_ACTIVATOR, ConsumerActivator.class.getName(),
                Constants.IMPORT_PACKAGE, "org.corral.api,org.osgi.framework"), ConsumerActivator.class);
        consumer.start();
        String entry = var + "=" + value;
        eventually("sleep + daemon + its 2 children running", () -> processesWith(entry).size() == 4);
        eventually("events of the programmatic daemon too", () -> events("consumer-daemon").contains("READY"));
        ServiceReference<?> ref = felix.await(ready("consumer-daemon"));
        assertTrue(processesWith(entry).contains(pid(ref)), "the programmatic daemon is a service too");
        consumer.stop();
        eventually("every process of the consumer gone", () -> processesWith(entry).isEmpty());
        eventually("its service gone", () -> !felix.present("(daemon.name=consumer-daemon)"));
        eventually("its STOPPED event", () -> events("consumer-daemon").contains("STOPPED"));
        consumer.uninstall();
    }

    @Test
    void disablingTheComponentStopsDaemonsAndEnablingRestartsThem() throws Exception {
        config("toggled", Map.of("command", prog("spawn_grandchildren"), "args", "1 --wait", "ready.log", "^ready$"));
        long first = pid(felix.await(ready("toggled")));
        Object scr = felix.service(felix.await(
                "(objectClass=org.osgi.service.component.runtime.ServiceComponentRuntime)"));
        Bundle supervisor = felix.bundle("org.corral.supervisor");
        Object dto = call(scr, "getComponentDescriptionDTO", supervisor, DaemonConfigParser.FACTORY_PID);
        call(call(scr, "disableComponent", dto), "getValue");
        try {
            eventually("toggled's processes gone after scr disable", () -> processesWith(mark("toggled")).isEmpty());
            assertFalse(felix.present("(daemon.name=toggled)"));
        } finally {
            call(call(scr, "enableComponent", dto), "getValue");
        }
        assertNotEquals(first, pid(felix.await(ready("toggled"))));
    }

    @Test
    void updatingOrRestartingTheSupervisorBundleHandsItsDaemonsOver() throws Exception {
        config("survivor", Map.of("command", prog("spawn_grandchildren"), "args", "1 --wait", "ready.log", "^ready$"));
        ServiceReference<?> ref = felix.await(ready("survivor"));
        long first = pid(ref);
        long helper = (Long) ref.getProperty("daemon.helper.pid");
        List<Long> family = processesWith(mark("survivor"));
        Bundle supervisor = felix.bundle("org.corral.supervisor");
        supervisor.update(); // the same jar again: a new bundle revision, components deactivated with reason 6
        LogCapture.await("survivor", "re-attached: pid " + first);
        ServiceReference<?> after = felix.await(ready("survivor"));
        assertEquals(first, pid(after), "same program after bundle.update()");
        assertEquals(helper, (Long) after.getProperty("daemon.helper.pid"), "same helper");
        supervisor.stop();
        supervisor.start();
        ServiceReference<?> again = felix.await(ready("survivor"));
        assertEquals(first, pid(again), "same program after stop + start");
        Object d = felix.context().getService(again); // the bundle's own Daemon class: reflection
        assertEquals(0, call(d, "restarts"));
        felix.context().ungetService(again);
        assertEquals(family, processesWith(mark("survivor")), "the program's descendants were not touched either");
    }

    @Test
    void supervisorStoppedWithoutSuccessorEndsItsDaemonsWhenTheLeaseEnds() throws Exception {
        config("orphaned", Map.of("command", prog("spawn_grandchildren"), "args", "1 --wait", "ready.log", "^ready$"));
        long first = pid(felix.await(ready("orphaned")));
        Bundle supervisor = felix.bundle("org.corral.supervisor");
        supervisor.stop();
        LogCapture.await("orphaned", "handed over to the next supervisor version: pid " + first);
        assertFalse(processesWith(mark("orphaned")).isEmpty(), "detached: still running right after the stop");
        long t0 = System.nanoTime();
        eventually("orphaned's processes gone when the lease ends", () -> processesWith(mark("orphaned")).isEmpty());
        System.out.println("DaemonConfigIT: lease " + EmbeddedFelix.LEASE_MS + " ms; detached daemon gone "
                + (System.nanoTime() - t0) / 1_000_000 + " ms after the supervisor bundle stopped");
        supervisor.start();
        assertNotEquals(first, pid(felix.await(ready("orphaned"))), "started anew: its helper was gone");
    }

    @Test
    void frameworkShutdownStopsDaemonsWithoutHandOverAllAtOnce() throws Exception {
        // a framework of its own, so that the shared one stays up for the other tests
        EmbeddedFelix own = new EmbeddedFelix(true);
        try {
            ConfigurationAdmin ownCm = own.service(ConfigurationAdmin.class);
            for (String n : List.of("shutdown-a", "shutdown-b", "shutdown-c")) {
                Configuration c = ownCm.getFactoryConfiguration(DaemonConfigParser.FACTORY_PID, n, "?");
                // ignores SIGTERM: each needs its whole grace (1 s) and then SIGKILL
                c.update(new Hashtable<>(Map.of("command", prog("ignore_sigterm"), "kill.grace", "1s",
                        "env." + TestSupport.TAG_VAR, TestSupport.TAG + "." + n)));
                own.await("(&(objectClass=org.corral.api.Daemon)(daemon.name=" + n + ")(daemon.state=READY))");
            }
            Thread.sleep(100); // let each program install its SIGTERM handler
            long t0 = System.nanoTime();
            own.close();
            System.out.println("DaemonConfigIT: framework with 3 daemons ignoring SIGTERM (grace 1 s each) stopped in "
                    + (System.nanoTime() - t0) / 1_000_000 + " ms");
            for (String n : List.of("shutdown-a", "shutdown-b", "shutdown-c")) {
                assertEquals(List.of(), processesWith(mark(n)), n + ": everything stopped with the framework");
                assertTrue(LogCapture.lines().stream().noneMatch(l -> l.contains("org.corral.daemon." + n)
                        && l.contains("handed over")), "no hand-over at framework shutdown");
            }
        } finally {
            own.close();
        }
    }
}
