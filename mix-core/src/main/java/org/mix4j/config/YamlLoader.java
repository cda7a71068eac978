package org.mix4j.config;

import java.io.IOException;
import java.io.Reader;
import java.io.StringReader;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.mix4j.config.ConfigNode.Origin;
import org.yaml.snakeyaml.LoaderOptions;
import org.yaml.snakeyaml.Yaml;
import org.yaml.snakeyaml.constructor.SafeConstructor;
import org.yaml.snakeyaml.error.Mark;
import org.yaml.snakeyaml.error.MarkedYAMLException;
import org.yaml.snakeyaml.error.YAMLException;
import org.yaml.snakeyaml.nodes.MappingNode;
import org.yaml.snakeyaml.nodes.Node;
import org.yaml.snakeyaml.nodes.NodeId;
import org.yaml.snakeyaml.nodes.NodeTuple;
import org.yaml.snakeyaml.nodes.ScalarNode;
import org.yaml.snakeyaml.nodes.SequenceNode;
import org.yaml.snakeyaml.nodes.Tag;
import org.yaml.snakeyaml.resolver.Resolver;

/**
 * Reads YAML into a {@link ConfigNode} tree with positions. Scalars are constructed by SnakeYAML's
 * {@link SafeConstructor} (no arbitrary objects), {@code ${VAR}} references are expanded first, and
 * duplicate keys are errors. An alias is copied where it is used, so the tree is capped at
 * {@link #DEFAULT_MAX_NODES} values (a few hundred bytes of nested aliases stand for billions) and an
 * alias inside its own anchor is refused.
 */
public final class YamlLoader {

    /** Values a document may expand to once its aliases are followed. */
    public static final int DEFAULT_MAX_NODES = 100_000;

    private final EnvExpander env;
    private final int maxNodes;

    /** @param maxNodes the most values (maps, lists, scalars) the tree may hold once aliases are expanded */
    public YamlLoader(EnvExpander env, int maxNodes) {
        if (maxNodes < 1) {
            throw new IllegalArgumentException("max nodes must be positive, got " + maxNodes);
        }
        this.env = env;
        this.maxNodes = maxNodes;
    }

    public YamlLoader(EnvExpander env) {
        this(env, DEFAULT_MAX_NODES);
    }

    public YamlLoader() {
        this(EnvExpander.system());
    }

    public ConfigNode.MapNode load(Path file) {
        String text;
        try {
            text = Files.readString(file);
        } catch (IOException e) {
            throw new ConfigException(file.toString(), 0, 0, "", "cannot read: " + e.getMessage(), null);
        }
        return load(new StringReader(text), file.toString());
    }

    public ConfigNode.MapNode load(Reader reader, String name) {
        LoaderOptions options = new LoaderOptions();
        options.setAllowDuplicateKeys(true); // duplicates are reported below, with their position
        options.setMaxAliasesForCollections(50);
        options.setCodePointLimit(8 * 1024 * 1024);
        ScalarConstructor constructor = new ScalarConstructor(options);
        Yaml yaml = new Yaml(constructor);
        Node root;
        try {
            root = yaml.compose(reader);
        } catch (MarkedYAMLException e) {
            Mark m = e.getProblemMark() != null ? e.getProblemMark() : e.getContextMark();
            String problem = "malformed YAML: " + (e.getProblem() != null ? e.getProblem() : e.getMessage());
            throw new ConfigException(name, m == null ? 0 : m.getLine() + 1, m == null ? 0 : m.getColumn() + 1, "",
                    problem.strip(), null);
        } catch (YAMLException e) {
            throw new ConfigException(name, 0, 0, "", "malformed YAML: " + e.getMessage(), null);
        }
        if (root == null) {
            throw new ConfigException(name, 1, 1, "", "the file is empty", null);
        }
        ConfigNode tree = new Conversion(name, constructor).convert(root, "");
        if (!(tree instanceof ConfigNode.MapNode map)) {
            throw new ConfigException(name, line(root), col(root), "", "the document must be a mapping of keys", null);
        }
        return map;
    }

    /** One document's walk from SnakeYAML nodes to the tree, counting what aliases expand to. */
    private final class Conversion {
        private final String file;
        private final ScalarConstructor constructor;
        private final Set<Node> open = Collections.newSetFromMap(new IdentityHashMap<>()); // ancestors
        private int nodes;

        Conversion(String file, ScalarConstructor constructor) {
            this.file = file;
            this.constructor = constructor;
        }

        ConfigNode convert(Node node, String path) {
            Origin origin = new Origin(file, line(node), col(node));
            if (++nodes > maxNodes) {
                throw new ConfigException(file, origin.line(), origin.column(), path, "the document expands to more than "
                        + maxNodes + " values once its aliases are followed (nested aliases?)", null);
            }
            if (node instanceof ScalarNode) {
                return scalar((ScalarNode) node, path, origin);
            }
            if (!open.add(node)) {
                throw new ConfigException(file, origin.line(), origin.column(), path,
                        "an alias refers to a node that contains it (a recursive alias)", null);
            }
            try {
                return node instanceof MappingNode mapping ? mapping(mapping, path, origin)
                        : sequence((SequenceNode) node, path, origin);
            } finally {
                open.remove(node);
            }
        }

        private ConfigNode mapping(MappingNode mapping, String path, Origin origin) {
            Map<String, ConfigNode> entries = new LinkedHashMap<>();
            Map<String, Origin> keys = new LinkedHashMap<>();
            Map<String, Integer> seen = new LinkedHashMap<>();
            for (NodeTuple t : mapping.getValue()) {
                if (t.getKeyNode() instanceof ScalarNode k && !"<<".equals(k.getValue())) {
                    Integer first = seen.putIfAbsent(k.getValue(), line(k));
                    if (first != null) {
                        throw new ConfigException(file, line(k), col(k), path.isEmpty() ? k.getValue() : path + "." + k.getValue(),
                                "duplicate key (first at line " + first + ")", null);
                    }
                }
            }
            constructor.flatten(mapping);
            for (NodeTuple t : mapping.getValue()) {
                if (!(t.getKeyNode() instanceof ScalarNode keyNode)) {
                    throw new ConfigException(file, line(t.getKeyNode()), col(t.getKeyNode()), path,
                            "keys must be plain strings", null);
                }
                String key = keyNode.getValue();
                String childPath = path.isEmpty() ? key : path + "." + key;
                if (entries.containsKey(key)) {
                    throw new ConfigException(file, line(keyNode), col(keyNode), childPath,
                            "duplicate key (first at line " + keys.get(key).line() + ")", null);
                }
                keys.put(key, new Origin(file, line(keyNode), col(keyNode)));
                entries.put(key, convert(t.getValueNode(), childPath));
            }
            return new ConfigNode.MapNode(entries, keys, origin);
        }

        private ConfigNode sequence(SequenceNode seq, String path, Origin origin) {
            List<ConfigNode> items = new ArrayList<>();
            for (int i = 0; i < seq.getValue().size(); i++) {
                items.add(convert(seq.getValue().get(i), path + "[" + i + "]"));
            }
            return new ConfigNode.ListNode(items, origin);
        }

        private ConfigNode scalar(ScalarNode node, String path, Origin origin) {
            ScalarNode scalar = node;
            String raw = scalar.getValue();
            String expanded;
            try {
                expanded = env.expand(raw);
            } catch (IllegalArgumentException e) {
                throw new ConfigException(file, origin.line(), origin.column(), path, e.getMessage(), null);
            }
            if (!expanded.equals(raw)) {
                Tag tag = scalar.isPlain() ? new Resolver().resolve(NodeId.scalar, expanded, true) : Tag.STR;
                scalar = new ScalarNode(tag, expanded, scalar.getStartMark(), scalar.getEndMark(), scalar.getScalarStyle());
            }
            Object value;
            try {
                value = constructor.scalar(scalar);
            } catch (YAMLException e) {
                throw new ConfigException(file, origin.line(), origin.column(), path,
                        "unsupported value '" + raw + "': " + e.getMessage(), null);
            }
            if (value instanceof Integer i) {
                value = i.longValue();
            } else if (value instanceof BigInteger b) {
                throw new ConfigException(file, origin.line(), origin.column(), path, "integer " + b + " is too large", null);
            } else if (value != null && !(value instanceof String || value instanceof Long || value instanceof Double
                    || value instanceof Boolean)) {
                value = expanded; // timestamps, binary: keep the text
            }
            return new ConfigNode.Scalar(value, origin);
        }
    }

    private static int line(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getLine() + 1;
    }

    private static int col(Node n) {
        return n.getStartMark() == null ? 0 : n.getStartMark().getColumn() + 1;
    }

    /** Exposes SafeConstructor's scalar construction and merge-key flattening. */
    private static final class ScalarConstructor extends SafeConstructor {
        ScalarConstructor(LoaderOptions options) {
            super(options);
        }

        Object scalar(ScalarNode node) {
            return constructObject(node);
        }

        void flatten(MappingNode node) {
            flattenMapping(node);
        }
    }
}
