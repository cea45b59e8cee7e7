/**
 * The 80 COCO classes the local detector knows, named and parented the way Rekognition names its
 * labels (Title Case, `Parents` nearest first), so that local and cloud label documents read alike.
 * Parents are given only where Rekognition has a meaningful broader category; the parents are not
 * detections themselves (Rekognition also returns them as labels; core aggregates them from here).
 *
 * Keys are the class names as human's CenterNet model reports them.
 */
export const COCO_TAXONOMY: Readonly<Record<string, { name: string; parents: readonly string[] }>> = {
  person: { name: "Person", parents: [] },
  bicycle: { name: "Bicycle", parents: ["Vehicle", "Transportation"] },
  car: { name: "Car", parents: ["Vehicle", "Transportation"] },
  motorcycle: { name: "Motorcycle", parents: ["Vehicle", "Transportation"] },
  airplane: { name: "Airplane", parents: ["Aircraft", "Vehicle", "Transportation"] },
  bus: { name: "Bus", parents: ["Vehicle", "Transportation"] },
  train: { name: "Train", parents: ["Vehicle", "Transportation"] },
  truck: { name: "Truck", parents: ["Vehicle", "Transportation"] },
  boat: { name: "Boat", parents: ["Watercraft", "Vehicle", "Transportation"] },
  "traffic light": { name: "Traffic Light", parents: ["Light"] },
  "fire hydrant": { name: "Fire Hydrant", parents: ["Hydrant"] },
  "stop sign": { name: "Stop Sign", parents: ["Road Sign", "Sign", "Symbol"] },
  "parking meter": { name: "Parking Meter", parents: [] },
  bench: { name: "Bench", parents: ["Furniture"] },
  bird: { name: "Bird", parents: ["Animal"] },
  cat: { name: "Cat", parents: ["Mammal", "Animal", "Pet"] },
  dog: { name: "Dog", parents: ["Mammal", "Animal", "Pet"] },
  horse: { name: "Horse", parents: ["Mammal", "Animal"] },
  sheep: { name: "Sheep", parents: ["Livestock", "Mammal", "Animal"] },
  cow: { name: "Cow", parents: ["Livestock", "Mammal", "Animal"] },
  elephant: { name: "Elephant", parents: ["Wildlife", "Mammal", "Animal"] },
  bear: { name: "Bear", parents: ["Wildlife", "Mammal", "Animal"] },
  zebra: { name: "Zebra", parents: ["Wildlife", "Mammal", "Animal"] },
  giraffe: { name: "Giraffe", parents: ["Wildlife", "Mammal", "Animal"] },
  backpack: { name: "Backpack", parents: ["Bag", "Accessories"] },
  umbrella: { name: "Umbrella", parents: ["Accessories"] },
  handbag: { name: "Handbag", parents: ["Bag", "Accessories"] },
  tie: { name: "Tie", parents: ["Accessories", "Clothing"] },
  suitcase: { name: "Suitcase", parents: ["Luggage", "Bag"] },
  frisbee: { name: "Frisbee", parents: ["Toy"] },
  skis: { name: "Skis", parents: ["Sports Equipment", "Sport"] },
  snowboard: { name: "Snowboard", parents: ["Sports Equipment", "Sport"] },
  "sports ball": { name: "Ball", parents: ["Sports Equipment", "Sport"] },
  kite: { name: "Kite", parents: ["Toy"] },
  "baseball bat": { name: "Baseball Bat", parents: ["Sports Equipment", "Sport"] },
  "baseball glove": { name: "Baseball Glove", parents: ["Sports Equipment", "Sport"] },
  skateboard: { name: "Skateboard", parents: ["Sports Equipment", "Sport"] },
  surfboard: { name: "Surfboard", parents: ["Sports Equipment", "Sport"] },
  "tennis racket": { name: "Tennis Racket", parents: ["Sports Equipment", "Sport"] },
  bottle: { name: "Bottle", parents: ["Container"] },
  "wine glass": { name: "Wine Glass", parents: ["Glass", "Tableware"] },
  cup: { name: "Cup", parents: ["Tableware"] },
  fork: { name: "Fork", parents: ["Cutlery", "Tableware"] },
  knife: { name: "Knife", parents: ["Cutlery", "Tableware"] },
  spoon: { name: "Spoon", parents: ["Cutlery", "Tableware"] },
  bowl: { name: "Bowl", parents: ["Tableware"] },
  banana: { name: "Banana", parents: ["Fruit", "Food", "Produce"] },
  apple: { name: "Apple", parents: ["Fruit", "Food", "Produce"] },
  sandwich: { name: "Sandwich", parents: ["Food"] },
  orange: { name: "Orange", parents: ["Fruit", "Food", "Produce"] },
  broccoli: { name: "Broccoli", parents: ["Vegetable", "Food", "Produce"] },
  carrot: { name: "Carrot", parents: ["Vegetable", "Food", "Produce"] },
  "hot dog": { name: "Hot Dog", parents: ["Food"] },
  pizza: { name: "Pizza", parents: ["Food"] },
  donut: { name: "Donut", parents: ["Dessert", "Food"] },
  cake: { name: "Cake", parents: ["Dessert", "Food"] },
  chair: { name: "Chair", parents: ["Furniture"] },
  couch: { name: "Couch", parents: ["Furniture"] },
  "potted plant": { name: "Potted Plant", parents: ["Plant"] },
  bed: { name: "Bed", parents: ["Furniture"] },
  "dining table": { name: "Dining Table", parents: ["Table", "Furniture"] },
  toilet: { name: "Toilet", parents: ["Bathroom"] },
  tv: { name: "TV", parents: ["Screen", "Electronics"] },
  laptop: { name: "Laptop", parents: ["Computer", "Electronics"] },
  mouse: { name: "Computer Mouse", parents: ["Computer Hardware", "Electronics"] },
  remote: { name: "Remote Control", parents: ["Electronics"] },
  keyboard: { name: "Computer Keyboard", parents: ["Computer Hardware", "Electronics"] },
  "cell phone": { name: "Mobile Phone", parents: ["Phone", "Electronics"] },
  microwave: { name: "Microwave", parents: ["Appliance"] },
  oven: { name: "Oven", parents: ["Appliance"] },
  toaster: { name: "Toaster", parents: ["Appliance"] },
  sink: { name: "Sink", parents: [] },
  refrigerator: { name: "Refrigerator", parents: ["Appliance"] },
  book: { name: "Book", parents: ["Publication"] },
  clock: { name: "Clock", parents: [] },
  vase: { name: "Vase", parents: ["Pottery"] },
  scissors: { name: "Scissors", parents: [] },
  "teddy bear": { name: "Teddy Bear", parents: ["Toy"] },
  "hair drier": { name: "Hair Dryer", parents: ["Appliance"] },
  toothbrush: { name: "Toothbrush", parents: ["Brush", "Tool"] },
};

/**
 * The Rekognition-style name and parents of a COCO class. An unknown class (a future model with more
 * classes) is Title Cased rather than dropped.
 * @example cocoLabel("cup") // { name: "Cup", parents: ["Tableware"] }
 */
export function cocoLabel(cocoClass: string): { name: string; parents: string[] } {
  const known = COCO_TAXONOMY[cocoClass.toLowerCase()];
  if (known) return { name: known.name, parents: [...known.parents] };
  return { name: cocoClass.replace(/\b\p{L}/gu, (c) => c.toUpperCase()), parents: [] };
}
