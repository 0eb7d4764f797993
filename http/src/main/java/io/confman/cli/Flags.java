package io.confman.cli;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A small parser for {@code --name value}, {@code --name=value} and boolean {@code --name}
 * flags mixed with positional arguments. It knows every flag a command accepts, so an
 * unknown flag, a missing value or a repeated flag is refused with a line that names it.
 * Public for the commands of other modules ({@code confman jepsen}).
 */
public final class Flags {

    private final Map<String, String> values = new LinkedHashMap<>();
    private final List<String> positionals = new ArrayList<>();

    private Flags() {
    }

    /**
     * @param valued   flags that take a value, without the leading dashes
     * @param booleans flags that take none
     */
    public static Flags parse(String command, String[] args, Set<String> valued, Set<String> booleans)
            throws UsageException {
        Flags flags = new Flags();
        boolean onlyPositionals = false;
        for (int i = 0; i < args.length; i++) {
            String arg = args[i];
            if (onlyPositionals || !arg.startsWith("--")) {
                flags.positionals.add(arg);
                continue;
            }
            if (arg.equals("--")) {
                onlyPositionals = true;
                continue;
            }
            String name = arg.substring(2);
            String value = null;
            int equals = name.indexOf('=');
            if (equals >= 0) {
                value = name.substring(equals + 1);
                name = name.substring(0, equals);
            }
            if (booleans.contains(name)) {
                if (value != null) {
                    throw new UsageException(command + ": flag --" + name + " takes no value");
                }
                value = "true";
            } else if (valued.contains(name)) {
                if (value == null) {
                    if (i + 1 >= args.length || args[i + 1].startsWith("--")) {
                        throw new UsageException(command + ": flag --" + name + " needs a value");
                    }
                    value = args[++i];
                }
                if (value.isEmpty()) {
                    throw new UsageException(command + ": flag --" + name + " needs a non-empty value");
                }
            } else {
                throw new UsageException(command + ": unknown flag --" + name);
            }
            if (flags.values.put(name, value) != null) {
                throw new UsageException(command + ": flag --" + name + " given twice");
            }
        }
        return flags;
    }

    public String get(String name) {
        return values.get(name);
    }

    public boolean has(String name) {
        return values.containsKey(name);
    }

    public String require(String command, String name) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            throw new UsageException(command + ": flag --" + name + " is required");
        }
        return value;
    }

    /** A whole number in {@code [min, max]}, or {@code fallback} when the flag is absent. */
    public long longValue(String command, String name, long fallback, long min, long max) throws UsageException {
        String value = values.get(name);
        if (value == null) {
            return fallback;
        }
        long parsed;
        try {
            parsed = Long.parseLong(value);
        } catch (NumberFormatException notANumber) {
            throw new UsageException(command + ": --" + name + " must be a whole number, got '" + value + "'");
        }
        if (parsed < min || parsed > max) {
            throw new UsageException(command + ": --" + name + " must be in [" + min + ", " + max + "], got "
                    + parsed);
        }
        return parsed;
    }

    public List<String> positionals() {
        return List.copyOf(positionals);
    }
}
