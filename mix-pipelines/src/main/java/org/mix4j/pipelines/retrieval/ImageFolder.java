package org.mix4j.pipelines.retrieval;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** The image files under a folder, recursively, chosen by extension (case-insensitive). */
public final class ImageFolder {

    /** Extensions that are indexed. */
    public static final Set<String> EXTENSIONS = Set.of("png", "jpg", "jpeg", "bmp", "gif");

    /**
     * One file found.
     *
     * @param relative path below the folder with {@code /} separators (the index key)
     */
    public record ImageFile(String relative, Path file, long size, long mtimeNanos) {}

    /**
     * What a scan found.
     *
     * @param images image files sorted by relative path
     * @param unreadable sub-folders or files the walk could not open, with the reason (the folder
     *     itself under its absolute path, everything else relative)
     * @param listed the folders whose whole listing was read, relative ({@code ""}: the folder
     *     itself): only there does a missing file mean that it is gone
     */
    public record Scan(List<ImageFile> images, List<Indexer.Skipped> unreadable, Set<String> listed) {

        public Scan {
            images = List.copyOf(images);
            unreadable = List.copyOf(unreadable);
            listed = Set.copyOf(listed);
        }

        /** Whether the walk failed on {@code relative} (a folder or a file). */
        public boolean couldNotRead(String relative) {
            return unreadable.stream().anyMatch(s -> s.path().equals(relative));
        }
    }

    private ImageFolder() {}

    public static Scan scan(Path folder) {
        if (!Files.isDirectory(folder)) {
            throw new IllegalArgumentException(folder + ": not a folder of images (missing, or its drive is not "
                    + "mounted?); nothing was indexed");
        }
        Path root = folder.toAbsolutePath().normalize();
        List<ImageFile> images = new ArrayList<>();
        List<Indexer.Skipped> unreadable = new ArrayList<>();
        Set<String> listed = new HashSet<>();
        try {
            Files.walkFileTree(root, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException e) {
                    if (e == null) {
                        listed.add(relative(root, dir));
                    } else {
                        unreadable.add(new Indexer.Skipped(name(root, dir), "cannot list: " + e));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    if (attrs.isRegularFile() && isImage(file)) {
                        images.add(new ImageFile(relative(root, file), file, attrs.size(),
                                attrs.lastModifiedTime().to(TimeUnit.NANOSECONDS)));
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException e) {
                    unreadable.add(new Indexer.Skipped(name(root, file), "cannot read: " + e));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException(folder + ": cannot list images: " + e.getMessage(), e);
        }
        images.sort(Comparator.comparing(ImageFile::relative));
        return new Scan(images, unreadable, listed);
    }

    static boolean isImage(Path file) {
        String name = file.getFileName().toString();
        int dot = name.lastIndexOf('.');
        return dot > 0 && EXTENSIONS.contains(name.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    /** How a failure is reported: relative, or the folder's own absolute path. */
    private static String name(Path root, Path file) {
        String rel = relative(root, file);
        return rel.isEmpty() ? root.toString() : rel;
    }

    private static String relative(Path root, Path file) {
        String rel = root.relativize(file.toAbsolutePath().normalize()).toString();
        return rel.replace(file.getFileSystem().getSeparator(), "/");
    }
}
