package org.mix4j.pipelines.retrieval;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import org.mix4j.pipelines.retrieval.ImageFolder.ImageFile;

/**
 * What a run has to do, from the index it starts with and what the scan saw: the entries kept as
 * they are, the files to encode, which of those replace an entry, and the entries whose file is gone.
 *
 * <p>An entry the scan did not see is gone only when the listing of its folder was read whole: a
 * folder that cannot be read keeps its entries, and so does a missing one (an unmounted drive, a
 * wrong path) unless {@code prune} says it was deleted. Those entries are reported in {@code held}.
 *
 * @param kept entries kept with their embedding: unchanged files and the files that could not be seen
 * @param held the folders (and files) whose entries were kept because they could not be seen
 */
record IndexPlan(TreeMap<String, IndexRow> kept, List<ImageFile> todo, Set<String> replaced, List<String> gone,
        List<Indexer.Held> held) {

    static IndexPlan of(IndexContents old, ImageFolder.Scan scan, boolean prune, String root) {
        Map<String, Integer> oldRows = new HashMap<>();
        for (int i = 0; old != null && i < old.count(); i++) {
            oldRows.put(old.entries().get(i).path(), i);
        }
        TreeMap<String, IndexRow> kept = new TreeMap<>();
        List<ImageFile> todo = new ArrayList<>();
        Set<String> replaced = new HashSet<>();
        for (ImageFile f : scan.images()) {
            Integer row = oldRows.remove(f.relative());
            if (row != null && old.entries().get(row).sameFile(f.size(), f.mtimeNanos())) {
                kept.put(f.relative(), IndexRow.of(old, row));
            } else {
                if (row != null) {
                    replaced.add(f.relative());
                }
                todo.add(f);
            }
        }
        List<String> gone = new ArrayList<>();
        Map<String, Indexer.Held> held = new TreeMap<>();
        for (Map.Entry<String, Integer> unseen : new TreeMap<>(oldRows).entrySet()) {
            String path = unseen.getKey();
            Indexer.Held why = hiddenBy(path, scan, root);
            if (why == null || prune && why.missing()) {
                gone.add(path);
            } else {
                kept.put(path, IndexRow.of(old, unseen.getValue()));
                held.merge(why.path(), why, (a, b) -> new Indexer.Held(a.path(), a.missing(), a.entries() + 1));
            }
        }
        return new IndexPlan(kept, todo, replaced, gone, List.copyOf(held.values()));
    }

    /**
     * Why the scan could not see {@code path}: the highest folder on its way that was not listed
     * (missing, or unreadable), or the file itself when the walk failed on it; {@code null} when its
     * folder was listed and it is not there, that is, when it is gone.
     */
    private static Indexer.Held hiddenBy(String path, ImageFolder.Scan scan, String root) {
        if (!scan.listed().contains("")) {
            return new Indexer.Held(root, false, 1);
        }
        String[] parts = path.split("/");
        String folder = "";
        for (int i = 0; i < parts.length - 1; i++) {
            folder = folder.isEmpty() ? parts[i] : folder + "/" + parts[i];
            if (!scan.listed().contains(folder)) {
                return new Indexer.Held(Path.of(root, folder).toString(), !scan.couldNotRead(folder), 1);
            }
        }
        return scan.couldNotRead(path) ? new Indexer.Held(Path.of(root, path).toString(), false, 1) : null;
    }
}
