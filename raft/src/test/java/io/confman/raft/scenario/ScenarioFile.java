package io.confman.raft.scenario;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A scenario script in etcd's datadriven style: comment lines start with '#'; each command
 * is one line, followed by a line "----" and the output it must print, ended by a blank line.
 */
record ScenarioFile(Path path, List<Block> blocks) {

    /** A stretch of comments and blank lines kept verbatim, or a command with its output. */
    record Block(String text, String command, int line, String expected) {
        boolean isCommand() {
            return command != null;
        }
    }

    static ScenarioFile parse(Path path) throws IOException {
        List<String> lines = Files.readAllLines(path);
        List<Block> blocks = new ArrayList<>();
        int i = 0;
        while (i < lines.size()) {
            String line = lines.get(i);
            if (line.isBlank() || line.startsWith("#")) {
                blocks.add(new Block(line, null, i + 1, null));
                i++;
                continue;
            }
            if (i + 1 >= lines.size() || !lines.get(i + 1).equals("----")) {
                throw new IllegalArgumentException(path + ":" + (i + 1) + ": command without '----': " + line);
            }
            int start = i + 2;
            int end = start;
            while (end < lines.size() && !lines.get(end).isEmpty()) {
                end++;
            }
            blocks.add(new Block(null, line.strip(), i + 1, String.join("\n", lines.subList(start, end))));
            i = end;
        }
        return new ScenarioFile(path, blocks);
    }

    /** The file with every expected output replaced by {@code actual}, in command order. */
    String render(List<String> actual) {
        StringBuilder out = new StringBuilder();
        int next = 0;
        for (Block block : blocks) {
            if (block.isCommand()) {
                out.append(block.command()).append("\n----\n").append(actual.get(next++)).append("\n");
            } else {
                out.append(block.text()).append("\n");
            }
        }
        return out.toString();
    }
}
