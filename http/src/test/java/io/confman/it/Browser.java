package io.confman.it;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openqa.selenium.By;
import org.openqa.selenium.JavascriptExecutor;
import org.openqa.selenium.OutputType;
import org.openqa.selenium.WebElement;
import org.openqa.selenium.chrome.ChromeDriver;
import org.openqa.selenium.chrome.ChromeDriverService;
import org.openqa.selenium.chrome.ChromeOptions;

/**
 * Headless Chromium driven by Selenium through the system's own driver (Debian's
 * {@code chromium} and {@code chromium-driver}, installed here when missing and this runs as
 * root; otherwise the browser tests are skipped with the reason). Nothing is downloaded by
 * Selenium itself. Screenshots go to {@code target/browser-artifacts/}.
 */
final class Browser implements AutoCloseable {

    static final Path CHROMIUM = Path.of("/usr/bin/chromium");
    static final Path DRIVER = Path.of("/usr/bin/chromedriver");
    static final Path ARTIFACTS = Path.of("target", "browser-artifacts");
    static final Duration INSTALL_DEADLINE = Duration.ofMinutes(10);

    final ChromeDriver driver;
    private static boolean installTried;

    private Browser(ChromeDriver driver) {
        this.driver = driver;
    }

    /** Installs the browser and its driver when missing; skips the calling test when it cannot. */
    static Browser open() throws IOException, InterruptedException {
        synchronized (Browser.class) {
            if (!installTried && (!Files.isExecutable(CHROMIUM) || !Files.isExecutable(DRIVER))) {
                installTried = true; // Once per test JVM: a failed install is not retried per test.
                install();
            }
        }
        assumeTrue(Files.isExecutable(CHROMIUM) && Files.isExecutable(DRIVER),
                "Chromium and its driver are missing and could not be installed (as root: apt-get install"
                        + " chromium chromium-driver)");
        ChromeOptions options = new ChromeOptions();
        options.setBinary(CHROMIUM.toFile());
        options.addArguments("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                "--window-size=1400,900", "--no-first-run", "--disable-extensions");
        ChromeDriverService service = new ChromeDriverService.Builder().usingDriverExecutable(DRIVER.toFile())
                .usingAnyFreePort().build();
        ChromeDriver driver = new ChromeDriver(service, options);
        driver.manage().timeouts().scriptTimeout(Duration.ofSeconds(60));
        driver.manage().timeouts().pageLoadTimeout(Duration.ofSeconds(60));
        return new Browser(driver);
    }

    /** Debian's packages, as root only; the outcome shows in the assumption above. */
    private static void install() throws IOException, InterruptedException {
        boolean root = "root".equals(System.getProperty("user.name"));
        if (!root || !Files.isExecutable(Path.of("/usr/bin/apt-get"))) {
            return;
        }
        String script = "export DEBIAN_FRONTEND=noninteractive; apt-get install -y -q chromium chromium-driver"
                + " || { apt-get update -q && apt-get install -y -q chromium chromium-driver; }";
        Process install = new ProcessBuilder("bash", "-c", script).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        if (!install.waitFor(INSTALL_DEADLINE.toSeconds(), TimeUnit.SECONDS)) {
            // apt-get and dpkg run under bash: stop them too, or they would hold dpkg's lock.
            install.descendants().forEach(ProcessHandle::destroyForcibly);
            install.destroyForcibly();
        }
    }

    void get(String url) {
        driver.get(url);
    }

    Object script(String script, Object... arguments) {
        return ((JavascriptExecutor) driver).executeScript(script, arguments);
    }

    List<WebElement> all(String css) {
        return driver.findElements(By.cssSelector(css));
    }

    WebElement one(String css) {
        return driver.findElement(By.cssSelector(css));
    }

    /**
     * Every member card under {@code container} as its data attributes (node, role, term,
     * commit, last index), read in one script so that the cards are from one moment.
     */
    @SuppressWarnings("unchecked")
    List<Map<String, String>> cards(String container) {
        return (List<Map<String, String>>) script("return Array.from(document.querySelectorAll(arguments[0]"
                + " + ' .member')).map(c => ({node: c.dataset.node, role: c.dataset.role, term: c.dataset.term,"
                + " commit: c.dataset.commit, last: c.dataset.lastIndex}));", container);
    }

    /** Saves the page as it is now to target/browser-artifacts/NAME.png, and returns the file. */
    Path screenshot(String name) throws IOException {
        Files.createDirectories(ARTIFACTS);
        Path file = ARTIFACTS.resolve(name + ".png");
        Files.write(file, driver.getScreenshotAs(OutputType.BYTES));
        return file;
    }

    /** Polls {@code condition} every 100 ms until it returns non-null or the deadline passes. */
    static <T> T await(String what, Duration deadline, Supplier<T> condition) throws InterruptedException {
        long end = System.nanoTime() + deadline.toNanos();
        while (true) {
            T value;
            try {
                value = condition.get();
            } catch (org.openqa.selenium.StaleElementReferenceException redrawn) {
                value = null; // The page redrew between finding an element and reading it.
            }
            if (value != null) {
                return value;
            }
            if (System.nanoTime() > end) {
                throw new AssertionError("not within " + deadline + ": " + what);
            }
            Thread.sleep(100);
        }
    }

    @Override
    public void close() {
        driver.quit();
    }
}
