/* global Twilio */
// Loaded with a <script> tag from Twilio's CDN (twilio-chat.min.js), so `Twilio` is a browser global.
export function openChannel(token, sid) {
  return Twilio.Chat.Client.create(token).then((client) => { // expect: CHAT-C7, CHAT-C2
    client.on("channelInvited", (channel) => channel.join()); // expect: CHAT-T14, CHAT-T2
    return client.getChannelBySid(sid); // expect: CHAT-T3
  });
}
