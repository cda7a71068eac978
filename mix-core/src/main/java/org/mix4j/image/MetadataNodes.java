package org.mix4j.image;

import javax.imageio.metadata.IIOMetadata;
import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

/** Lookups in the JDK's native image-metadata trees (PNG IHDR, JPEG markers, GIF descriptors). */
final class MetadataNodes {

    private MetadataNodes() {}

    /** The tree of {@code metadata} in {@code format}, or {@code null} when it has none. */
    static Node tree(IIOMetadata metadata, String format) {
        if (metadata == null) {
            return null;
        }
        for (String f : metadata.getMetadataFormatNames()) {
            if (f.equals(format)) {
                return metadata.getAsTree(format);
            }
        }
        return null;
    }

    /** The first descendant named {@code name} (depth first), or {@code null}. */
    static Node find(Node node, String name) {
        if (node == null) {
            return null;
        }
        if (name.equals(node.getNodeName())) {
            return node;
        }
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
            Node hit = find(c, name);
            if (hit != null) {
                return hit;
            }
        }
        return null;
    }

    /** Number of descendants named {@code name}. */
    static int count(Node node, String name) {
        if (node == null) {
            return 0;
        }
        int n = name.equals(node.getNodeName()) ? 1 : 0;
        for (Node c = node.getFirstChild(); c != null; c = c.getNextSibling()) {
            n += count(c, name);
        }
        return n;
    }

    /** An attribute's value, or {@code fallback} when the node or attribute is missing. */
    static String attribute(Node node, String name, String fallback) {
        if (node == null) {
            return fallback;
        }
        NamedNodeMap attrs = node.getAttributes();
        Node a = attrs == null ? null : attrs.getNamedItem(name);
        return a == null ? fallback : a.getNodeValue();
    }

    static int intAttribute(Node node, String name, int fallback) {
        String v = attribute(node, name, null);
        return v == null ? fallback : Integer.parseInt(v.trim());
    }
}
