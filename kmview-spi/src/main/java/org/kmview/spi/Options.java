package org.kmview.spi;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A parsed option string such as {@code move,except=/a,except=/b,ro}: comma-separated items,
 * each a flag ({@code ro}) or a {@code key=value} pair. A key may repeat; the order of items is
 * kept. Instances are immutable; arguments must not be null.
 */
public final class Options {

    private static final Options EMPTY = new Options(Map.of(), "");

    private final Map<String, List<String>> items;
    private final String text;

    private Options(Map<String, List<String>> items, String text) {
        this.items = items;
        this.text = text;
    }

    /** Returns the options of an empty string. */
    public static Options empty() {
        return EMPTY;
    }

    /**
     * Parses an option string. An empty string gives no options.
     *
     * @throws IllegalArgumentException if an item is empty or has an empty key, naming the item
     */
    public static Options parse(String text) {
        if (text.isEmpty()) {
            return EMPTY;
        }
        Map<String, List<String>> items = new LinkedHashMap<>();
        for (String item : text.split(",", -1)) {
            int equals = item.indexOf('=');
            String key = equals < 0 ? item : item.substring(0, equals);
            if (key.isBlank()) {
                throw new IllegalArgumentException("invalid option \"" + item + "\" in \"" + text
                        + "\": expected NAME or NAME=VALUE separated by commas");
            }
            String value = equals < 0 ? "" : item.substring(equals + 1);
            items.computeIfAbsent(key, k -> new ArrayList<>()).add(value);
        }
        items.replaceAll((key, values) -> List.copyOf(values));
        return new Options(Collections.unmodifiableMap(items), text);
    }

    /** Returns whether the option {@code name} was given, as a flag or with a value. */
    public boolean has(String name) {
        return items.containsKey(name);
    }

    /** Returns the value of the last {@code name=VALUE} item, or empty if {@code name} is absent. */
    public Optional<String> value(String name) {
        List<String> values = items.get(name);
        return values == null ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    /** Returns every value given for {@code name}, in order; empty if it is absent. */
    public List<String> values(String name) {
        return items.getOrDefault(name, List.of());
    }

    /** Returns the option names in the order they first appear. */
    public List<String> names() {
        return List.copyOf(items.keySet());
    }

    /** Returns the string the options were parsed from. */
    @Override
    public String toString() {
        return text;
    }
}
