import java.awt.*; import java.awt.image.BufferedImage; import javax.imageio.ImageIO; import java.io.*; import java.nio.file.*; import java.util.*;
/** Writes the tiny "suns" training set: java MakeSuns.java DIR (16 PNGs, suns.jsonl, suns-eval.jsonl, and the same
 *  split as image-caption pairs for the contrastive and diffusion objectives: sun-captions.jsonl, sun-captions-eval.jsonl). */
public class MakeSuns { public static void main(String[] a) throws Exception {
  Path dir = Path.of(a[0]);
  String[] names = {"red","green","blue","yellow"}; Color[] cols = {Color.RED, Color.GREEN, Color.BLUE, Color.YELLOW};
  String[] bgNames = {"white","black"}; Color[] bgs = {Color.WHITE, Color.BLACK};
  StringBuilder train = new StringBuilder(), eval = new StringBuilder(), trainPairs = new StringBuilder(), evalPairs = new StringBuilder(); int n = 0;
  for (int c = 0; c < 4; c++) for (int b = 0; b < 2; b++) for (int big = 0; big < 2; big++) {
    BufferedImage im = new BufferedImage(48, 32, BufferedImage.TYPE_INT_RGB);
    Graphics2D g = im.createGraphics(); g.setColor(bgs[b]); g.fillRect(0,0,48,32); g.setColor(cols[c]);
    int r = big == 1 ? 13 : 5; g.fillOval(24 - r, 16 - r, 2*r, 2*r); g.dispose();
    String file = "sun-" + names[c] + "-" + (big==1?"big":"small") + "-on-" + bgNames[b] + ".png";
    ImageIO.write(im, "png", dir.resolve(file).toFile());
    String line = String.format("{\"image\": \"%s\", \"conversations\": [{\"from\": \"human\", \"value\": \"<image>\\ndescribe the picture .\"}, {\"from\": \"gpt\", \"value\": \"a %s %s sun on a %s background .\"}]}%n", file, big==1?"big":"small", names[c], bgNames[b]);
    String pair = String.format("{\"image\": \"%s\", \"caption\": \"a %s %s sun on a %s background\"}%n", file, big==1?"big":"small", names[c], bgNames[b]);
    ((n % 4 == 3) ? evalPairs : trainPairs).append(pair);
    ((n++ % 4 == 3) ? eval : train).append(line);
  }
  Files.writeString(dir.resolve("suns.jsonl"), train); Files.writeString(dir.resolve("suns-eval.jsonl"), eval);
  Files.writeString(dir.resolve("sun-captions.jsonl"), trainPairs); Files.writeString(dir.resolve("sun-captions-eval.jsonl"), evalPairs);
}}
