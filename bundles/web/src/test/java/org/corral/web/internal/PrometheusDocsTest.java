package org.corral.web.internal;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's Prometheus examples (docs/prometheus) with the real promtool: the configurations and rule files
 * are valid, and the two alert rules (and the fleet's) fire when they should and not otherwise
 * ({@code promtool test rules} with the series of src/test/resources/prometheus/corral-alerts-test.yml).
 */
class PrometheusDocsTest {

    static final Path DOCS = Paths.get(System.getProperty("user.dir")).resolve("../../docs/prometheus").normalize();

    static String promtool(String... args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>(List.of("promtool"));
        cmd.addAll(List.of(args));
        Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "promtool did not finish");
        assertEquals(0, p.exitValue(), String.join(" ", cmd) + ":\n" + out);
        return out;
    }

    @Test
    void theConfigurationsAndRulesAreValid() throws Exception {
        assertTrue(Files.isDirectory(DOCS), DOCS.toString());
        promtool("check", "config", DOCS.resolve("prometheus.yml").toString());
        promtool("check", "config", DOCS.resolve("fleet.yml").toString());
        String rules = promtool("check", "rules", DOCS.resolve("corral-alerts.yml").toString(),
                DOCS.resolve("fleet-alerts.yml").toString());
        assertTrue(rules.contains("2 rules found"), rules);
    }

    @Test
    void theAlertsFireWhenTheyShould(@TempDir Path dir) throws Exception {
        for (String f : List.of("corral-alerts.yml", "fleet-alerts.yml")) {
            Files.copy(DOCS.resolve(f), dir.resolve(f));
        }
        Path test = dir.resolve("corral-alerts-test.yml");
        try (var in = getClass().getResourceAsStream("/prometheus/corral-alerts-test.yml")) {
            Files.copy(in, test);
        }
        String out = promtool("test", "rules", test.toString());
        assertTrue(out.contains("SUCCESS"), out);
    }
}
