package org.mix4j.spark.data;

import java.util.Iterator;
import java.util.function.Function;

/** An iterator through a function, so a partition streams through a per-partition object (a filter, a decoder). */
final class MappedIterator<A, B> implements Iterator<B> {

    private final Iterator<A> in;
    private final Function<A, B> f;

    MappedIterator(Iterator<A> in, Function<A, B> f) {
        this.in = in;
        this.f = f;
    }

    @Override
    public boolean hasNext() {
        return in.hasNext();
    }

    @Override
    public B next() {
        return f.apply(in.next());
    }
}
