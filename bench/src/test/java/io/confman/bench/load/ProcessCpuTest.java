package io.confman.bench.load;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProcessCpuTest {

    @Test
    void userAndSystemTicksOfAStatLineWhoseNameHoldsSpacesAndParentheses() {
        String stat = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 5000 0 0 0 1234 567 0 0 20 0 40 0 100 "
                + "9000000000 50000 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0";
        assertEquals(1234 + 567, ProcessCpu.ticks(stat));
    }

    @Test
    void thisProcessUsesCpuAsItWorks() throws IOException {
        ProcessCpu cpu = new ProcessCpu(List.of(ProcessHandle.current().pid()));
        long before = cpu.totalMillis();
        long spent = 0;
        long until = System.nanoTime() + 300_000_000L; // well over the 10 ms a tick holds
        while (System.nanoTime() < until) {
            spent += Long.numberOfTrailingZeros(spent + System.nanoTime());
        }
        assertTrue(cpu.totalMillis() > before, "CPU time grew (" + spent + ")");
        assertTrue(new ProcessCpu(List.of()).totalMillis() == 0 && !new ProcessCpu(List.of()).enabled());
    }
}
