import java.awt.*; import java.awt.image.BufferedImage; import javax.imageio.ImageIO; import java.nio.file.*;
/** Writes a larger image-caption set of coloured suns for the contrastive objective, the way MakeSuns draws them:
 *  java MakeSunPairs.java DIR -> 36 PNGs (6 colours x 2 sizes x 3 backgrounds), train.jsonl (24 pairs) and
 *  eval.jsonl (12 held-out combinations; every word of them also occurs in training). */
public class MakeSunPairs { public static void main(String[] a) throws Exception {
  Path dir = Path.of(a[0]);
  String[] names = {"red","green","blue","yellow","purple","orange"};
  Color[] cols = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW, new Color(128, 0, 128), new Color(255, 140, 0)};
  String[] bgNames = {"white","black","gray"}; Color[] bgs = {Color.WHITE, Color.BLACK, Color.GRAY};
  StringBuilder train = new StringBuilder(), eval = new StringBuilder();
  for (int c = 0; c < cols.length; c++) for (int b = 0; b < bgs.length; b++) for (int big = 0; big < 2; big++) {
    BufferedImage im = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = im.createGraphics(); g.setColor(bgs[b]); g.fillRect(0,0,48,32); g.setColor(cols[c]);
    int r = big == 1 ? 13 : 5; g.fillOval(24 - r, 16 - r, 2*r, 2*r); g.dispose();
    String size = big == 1 ? "big" : "small";
    String file = "sun-" + names[c] + "-" + size + "-on-" + bgNames[b] + ".png";
    ImageIO.write(im, "png", dir.resolve(file).toFile());
    String pair = String.format("{\"image\": \"%s\", \"caption\": \"a %s %s sun on a %s background\"}%n", file, size, names[c], bgNames[b]);
    ((c + 2 * b + big) % 3 == 0 ? eval : train).append(pair);
  }
  Files.writeString(dir.resolve("train.jsonl"), train); Files.writeString(dir.resolve("eval.jsonl"), eval);
}}
