// The local event bus: durable delivery to the routes, and the dead letters of what could not be delivered.
export * from "./dead-letters.js";
export { currentDeliverySignal, describeBusFault } from "./delivery-scope.js";
export * from "./durable-bus.js";
